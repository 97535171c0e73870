using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Power of two choices, as <c>net/netfilter/ipvs/ip_vs_twos.c</c> (Linux 6.2+): draw two destinations at
/// random in proportion to their weights and take the one with the lower <c>overhead / weight</c>.
/// </summary>
/// <remarks>
/// <para>
/// The kernel sums W, the weights of the destinations that are not OVERLOAD and have weight &gt; 0, draws
/// <c>r1, r2 = get_random_u32_below(W + 1)</c> (uniform in [0, W]), walks the list subtracting each eligible
/// weight from both and takes, for each, the first destination where it drops to &lt;= 0. A draw of 0
/// therefore lands on the first eligible destination, which gets (w + 1) / (W + 1) of the draws. It returns
/// choice 2 when <c>w2 * oh1 &gt; w1 * oh2</c>, otherwise choice 1 (so choice 1 wins ties).
/// </para>
/// <para>
/// All of it is 32-bit <c>int</c> arithmetic in the kernel, built with wrapping signed overflow: the sum, the
/// remaining weights, the overhead <c>(act &lt;&lt; 8) + inact</c> and the products. This class does the same
/// in <c>unchecked</c> <see langword="int"/>s, so it makes the same choice for the same two draws even where
/// those wrap. Draws come from <see cref="SchedulerContext.Random"/> as <c>NextInt64(0, W + 1)</c>, which is
/// uniform like the kernel's; the kernel's generator itself cannot be reproduced.
/// </para>
/// <para>
/// A linear scan like the kernel's (two, in fact): weighted draws over a changing eligible set would need a
/// prefix-sum tree updated on every OVERLOAD flip, and twos is normally used with modest lists.
/// </para>
/// </remarks>
internal sealed class PowerOfTwoChoicesScheduler : IScheduler
{
    private readonly Random _random;
    private ImmutableArray<RealServerState> _destinations = [];

    public PowerOfTwoChoicesScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _random = context.Random;
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
        => _destinations = destinations;

    public RealServerState? Pick(in SchedulingRequest request)
    {
        var list = _destinations;
        RealServerState? choice1 = null;
        RealServerState? choice2 = null;
        int weight1 = -1, weight2 = -1, overhead1 = 0, overhead2 = 0, totalWeight = 0;

        unchecked
        {
            foreach (var dest in list)
            {
                if (!dest.IsOverloaded)
                {
                    var weight = dest.Weight;
                    if (weight > 0)
                    {
                        totalWeight += weight;
                        choice1 = dest;
                    }
                }
            }

            if (choice1 is null)
            {
                return null;
            }

            // Add 1 so that the draws are inclusive from 0 to the sum; the kernel passes the int as a u32
            // ceiling, and get_random_u32_below(0) returns 0.
            totalWeight += 1;
            var rweight1 = Draw((uint)totalWeight);
            var rweight2 = Draw((uint)totalWeight);

            foreach (var dest in list)
            {
                if (dest.IsOverloaded)
                {
                    continue;
                }

                var weight = dest.Weight;
                if (weight <= 0)
                {
                    continue;
                }

                rweight1 -= weight;
                rweight2 -= weight;

                if (rweight1 <= 0 && weight1 == -1)
                {
                    choice1 = dest;
                    weight1 = weight;
                    overhead1 = Overhead(dest);
                }

                if (rweight2 <= 0 && weight2 == -1)
                {
                    choice2 = dest;
                    weight2 = weight;
                    overhead2 = Overhead(dest);
                }

                if (weight1 != -1 && weight2 != -1)
                {
                    break;
                }
            }

            // If the weights changed between the two walks, choice1 may still be the last eligible entry of
            // the first walk with weight1 = -1, as in the kernel.
            if (choice2 is not null && weight2 * overhead1 > weight1 * overhead2)
            {
                choice1 = choice2;
            }

            return choice1;
        }
    }

    // ip_vs_dest_conn_overhead returns an int: (activeconns << 8) + inactconns, wrapping like the kernel's.
    private static int Overhead(RealServerState dest)
        => unchecked((dest.ActiveConnections << 8) + dest.InactiveConnections);

    // The u32 result lands in an int variable in the kernel: values above int.MaxValue (only possible when
    // the weight sum wrapped) become negative.
    private int Draw(uint ceiling)
        => ceiling == 0 ? 0 : unchecked((int)(uint)_random.NextInt64(0, ceiling));
}
