using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// An lblcr entry (<c>ip_vs_lblcr_entry</c>): destination address → a set of real servers, kept in the kernel's
/// list order (each insert goes to the head), with the time the set last changed.
/// </summary>
internal sealed class LocalitySetEntry : LocalityEntry
{
    private RealServerState[] _members = new RealServerState[2];

    public LocalitySetEntry(NetworkAddress address, RealServerState first, long now)
        : base(address, now)
    {
        _members[0] = first;
        Count = 1;
        LastModified = now;
    }

    public int Count { get; private set; }

    /// <summary>Gets the <see cref="TimeProvider.GetTimestamp"/> of the last insert or erase (<c>set.lastmod</c>).</summary>
    public long LastModified { get; private set; }

    public ReadOnlySpan<RealServerState> Members => _members.AsSpan(0, Count);

    /// <summary><c>ip_vs_dest_set_insert(set, dest, check: true)</c>: add at the head unless already present.</summary>
    public void Insert(RealServerState dest, long now)
    {
        if (Members.Contains(dest))
        {
            return;
        }

        if (Count == _members.Length)
        {
            Array.Resize(ref _members, Count * 2);
        }

        Array.Copy(_members, 0, _members, 1, Count);
        _members[0] = dest;
        Count++;
        LastModified = now;
    }

    /// <summary><c>ip_vs_dest_set_erase</c>.</summary>
    public void Erase(RealServerState dest, long now)
    {
        var index = Members.IndexOf(dest);
        if (index < 0)
        {
            return;
        }

        Array.Copy(_members, index + 1, _members, index, Count - index - 1);
        Count--;
        _members[Count] = null!;
        LastModified = now;
    }

    /// <summary>
    /// <c>ip_vs_dest_set_min</c>: the weighted least-connection member. The first candidate must be
    /// non-OVERLOAD, weighted and available; later ones replace it when not OVERLOAD, available and
    /// <c>oh(least)·w(d) &gt; oh(d)·w(least)</c>.
    /// </summary>
    public RealServerState? Min()
    {
        var members = Members;
        RealServerState? least = null;
        var start = members.Length;
        for (var i = 0; i < members.Length; i++)
        {
            var d = members[i];
            if (!d.IsOverloaded && d.Weight > 0 && d.IsAvailable)
            {
                least = d;
                start = i + 1;
                break;
            }
        }

        if (least is null)
        {
            return null;
        }

        var loh = least.Overhead;
        for (var i = start; i < members.Length; i++)
        {
            var d = members[i];
            if (d.IsOverloaded)
            {
                continue;
            }

            var doh = d.Overhead;
            if (loh * d.Weight > doh * least.Weight && d.IsAvailable)
            {
                least = d;
                loh = doh;
            }
        }

        return least;
    }

    /// <summary>
    /// <c>ip_vs_dest_set_max</c>: the weighted most-loaded member among those with weight &gt; 0 (OVERLOAD and
    /// availability are not looked at); later members replace it when <c>oh(most)·w(d) &lt; oh(d)·w(most)</c>.
    /// </summary>
    public RealServerState? Max()
    {
        var members = Members;
        RealServerState? most = null;
        var start = members.Length;
        for (var i = 0; i < members.Length; i++)
        {
            if (members[i].Weight > 0)
            {
                most = members[i];
                start = i + 1;
                break;
            }
        }

        if (most is null)
        {
            return null;
        }

        var moh = most.Overhead;
        for (var i = start; i < members.Length; i++)
        {
            var d = members[i];
            var doh = d.Overhead;
            if (moh * d.Weight < doh * most.Weight && d.Weight > 0)
            {
                most = d;
                moh = doh;
            }
        }

        return most;
    }
}
