using CsCheck;
using LoadBalancing.Hashing;

namespace LoadBalancing.Tests.Hashing;

public sealed class MaglevTableTests
{
    [Fact]
    public void Constructor_NonPrimeSize_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new MaglevTable([new MaglevEndpoint(1, 1)], 65536));

    [Fact]
    public void Constructor_DuplicateId_Throws()
        => Assert.Throws<ArgumentException>(() => new MaglevTable([new MaglevEndpoint(1, 1), new MaglevEndpoint(1, 2)]));

    [Fact]
    public void TryLookup_NoWeightedEndpoint_ReturnsFalse()
    {
        var table = new MaglevTable([new MaglevEndpoint(7, 0)]);

        Assert.False(table.TryLookup(12345, out _));
        Assert.Null(table.GetOwner(0));
    }

    [Fact]
    public void TryLookup_SingleEndpoint_OwnsEverySlot()
    {
        var table = new MaglevTable([new MaglevEndpoint(42, 3)], 7);

        Assert.All(Enumerable.Range(0, 7), slot => Assert.Equal(42UL, table.GetOwner(slot)));
        Assert.True(table.TryLookup(ulong.MaxValue, out var id));
        Assert.Equal(42UL, id);
    }

    [Fact]
    public void Constructor_DefaultSize_IsKatranRingSize()
        => Assert.Equal(65537, new MaglevTable([]).Size);

    [Fact]
    public void Constructor_WeightsOneToThree_SplitsSlotsOneToThree()
    {
        // The weight-3 endpoint claims every turn, the weight-1 endpoint every third turn: 3 : 1 to within a slot.
        var table = new MaglevTable([new MaglevEndpoint(1, 1), new MaglevEndpoint(2, 3)]);

        var light = Enumerable.Range(0, table.Size).Count(s => table.GetOwner(s) == 1);

        Assert.InRange(light, (table.Size / 4) - 1, (table.Size / 4) + 1);
    }

    [Fact]
    public void Constructor_EqualWeights_BalancedWithinOnePercent()
    {
        // Equal weights claim one slot per endpoint per round, so shares differ by at most one slot; that is within
        // 1% of M/N whenever M/N >= 100 (N <= 655 for M = 65537).
        Gen.Select(Gen.Int[1, 500], Gen.Int[0, int.MaxValue]).Sample(
            t =>
            {
                var (n, seed) = t;
                var table = new MaglevTable(Endpoints(n, seed));
                var counts = Owners(table).GroupBy(o => o).Select(g => g.Count()).ToList();
                var mean = (double)table.Size / n;

                Assert.Equal(n, counts.Count);
                Assert.True(counts.Max() - counts.Min() <= 1);
                Assert.All(counts, c => Assert.InRange(c, mean * 0.99, mean * 1.01));
            },
            iter: 20,
            threads: 1);
    }

    [Fact]
    public void RemoveEndpoint_OneOfN_MovesItsSlotsPlusSmallFraction()
    {
        // Bound: the removed endpoint's ~M/N slots must move. Any other slot moves only through a displacement
        // chain: some endpoint now claims a freed slot earlier in its permutation than before, so one of its old
        // later claims is not made and that slot goes to a third endpoint, and so on. Each chain starts at a freed
        // slot and ends when it lands on a slot that was free anyway, and most chains are short because a claim
        // hits a freed slot with probability ~1/N. A simulation of Maglev (N = 2..100, M = 65537) gave at most
        // 0.62% of M in extra moves; we assert 2% of M, three times that, as the "small fraction". Not for a set
        // with two nearly identical permutations (same skip, offsets within 2 000 steps): there the two race over
        // the same slots and any change moves about M/N more (CI drew N = 19 with two skips of 32001 107 steps
        // apart: 3 467 extra slots). That is the algorithm's, documented on MaglevTable; such sets are left out.
        Gen.Select(Gen.Int[3, 100], Gen.Int[0, int.MaxValue], Gen.Int[0, 99]).Where(t => !HasNearTwinPermutations(Endpoints(t.Item1, t.Item2), MaglevTable.DefaultSize)).Sample(
            t =>
            {
                var (n, seed, pick) = t;
                var endpoints = Endpoints(n, seed);
                var removed = endpoints[pick % n].Id;
                var table = new MaglevTable(endpoints);
                var before = Owners(table);

                table.RemoveEndpoint(removed);
                var after = Owners(table);

                var extra = Enumerable.Range(0, table.Size).Count(s => before[s] != removed && before[s] != after[s]);
                Assert.DoesNotContain(removed, after.Select(o => o!.Value));
                Assert.True(extra <= table.Size / 50, $"{extra} slots of other endpoints moved (N = {n})");
            },
            iter: 20,
            threads: 1);
    }

    [Fact]
    public void Updates_ReportedDiff_EqualsActualSlotDifferences()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[0, int.MaxValue], Gen.Int[0, 2], Gen.Int[0, 10]).Sample(
            t =>
            {
                var (n, seed, operation, weight) = t;
                var endpoints = Endpoints(n, seed);
                var table = new MaglevTable(endpoints, 4093);
                var before = Owners(table);
                var target = endpoints[seed % n].Id;

                var diff = operation switch
                {
                    0 => table.AddEndpoint(new MaglevEndpoint(ulong.MaxValue - (ulong)seed, weight)),
                    1 => table.RemoveEndpoint(target),
                    _ => table.SetWeight(target, weight),
                };
                var after = Owners(table);

                var actual = Enumerable.Range(0, table.Size)
                    .Where(s => before[s] != after[s])
                    .Select(s => new MaglevSlotChange(s, before[s], after[s]));
                Assert.Equal(actual, diff);
            },
            iter: 40,
            threads: 1);
    }

    [Fact]
    public void AddThenRemove_RestoresOriginalTable()
    {
        var table = new MaglevTable(Endpoints(10, 1));
        var before = Owners(table);

        var added = table.AddEndpoint(new MaglevEndpoint(999, 1));
        var removed = table.RemoveEndpoint(999);

        Assert.Equal(before, Owners(table));
        Assert.Equal(added.Length, removed.Length);
        Assert.Empty(table.RemoveEndpoint(999));
    }

    private static MaglevEndpoint[] Endpoints(int n, int seed)
    {
        var random = new Random(seed);
        var ids = new HashSet<ulong>();
        while (ids.Count < n)
        {
            ids.Add((ulong)random.NextInt64());
        }

        return [.. ids.Select(id => new MaglevEndpoint(id, 1))];
    }

    // Two endpoints whose permutations are the same cycle (same skip) with offsets within 2 000 steps of each other.
    private static bool HasNearTwinPermutations(MaglevEndpoint[] endpoints, int size)
    {
        foreach (var twins in endpoints.Select(e => MaglevTable.Permutation(e.Id, size)).GroupBy(p => p.Skip).Where(g => g.Count() > 1))
        {
            var inverse = (long)System.Numerics.BigInteger.ModPow(twins.Key, size - 2, size); // size is prime
            var offsets = twins.Select(p => (long)p.Offset).ToArray();
            for (var i = 0; i < offsets.Length; i++)
            {
                for (var j = i + 1; j < offsets.Length; j++)
                {
                    var steps = (offsets[j] - offsets[i] + size) % size * inverse % size;
                    if (Math.Min(steps, size - steps) <= 2000)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static ulong?[] Owners(MaglevTable table) => [.. Enumerable.Range(0, table.Size).Select(table.GetOwner)];
}
