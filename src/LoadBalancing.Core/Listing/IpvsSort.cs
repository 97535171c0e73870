using LoadBalancing.Model;

namespace LoadBalancing.Listing;

/// <summary>
/// ipvsadm's sort: libipvs <c>ipvs_cmp_services</c>/<c>ipvs_cmp_dests</c> run by glibc <c>qsort</c>.
/// </summary>
/// <remarks>
/// The comparators subtract unsigned 32-bit words and return the difference as an <c>int</c>, so two addresses
/// 2^31 or more apart compare "backwards" (192.168.50.10 sorts before 10.1.1.10) and the relation is not always
/// transitive. To print the same order even then, the sort is glibc's: a top-down merge sort (n/2 left, the rest
/// right; ties and "&lt;= 0" take the left element), applied to the kernel order.
/// </remarks>
internal static class IpvsSort
{
    public static List<T> MergeSort<T>(IReadOnlyList<T> items, Comparison<T> compare)
    {
        var array = items.ToArray();
        var temp = new T[array.Length];
        Sort(array, temp, 0, array.Length, compare);
        return [.. array];
    }

    /// <summary>ipvs_cmp_services: fwmark, address family, protocol, address words, port — each as a C int difference.</summary>
    public static int CompareServices(ListedService a, ListedService b)
    {
        var s1 = a.Config.Key;
        var s2 = b.Config.Key;
        var r = (int)(s1.FirewallMark - s2.FirewallMark);
        if (r != 0)
        {
            return r;
        }

        r = Family(s1.Address) - Family(s2.Address);
        if (r != 0)
        {
            return r;
        }

        // Firewall-mark services carry TCP, as ipvsadm creates them.
        r = (int)s1.Protocol - (int)s2.Protocol;
        if (r != 0)
        {
            return r;
        }

        r = CompareAddresses(s1.Address, s2.Address);
        return r != 0 ? r : s1.Port - s2.Port;
    }

    /// <summary>ipvs_cmp_dests: address words (the first operand's family decides how many), then port.</summary>
    public static int CompareDestinations(ListedRealServer a, ListedRealServer b)
    {
        var r = CompareAddresses(a.Config.Address, b.Config.Address);
        return r != 0 ? r : a.Config.Port - b.Config.Port;
    }

    private static int CompareAddresses(NetworkAddress x, NetworkAddress y)
    {
        // Both addresses live in a 16-byte union: IPv4 in the first word, the rest zero.
        if (!x.IsIPv6)
        {
            return (int)(Word(x, 0) - Word(y, 0));
        }

        var r = 0;
        for (var i = 0; r == 0 && i < 4; i++)
        {
            r = (int)(Word(x, i) - Word(y, i));
        }

        return r;
    }

    private static uint Word(NetworkAddress address, int index)
        => address.IsIPv6 ? (uint)(address.Value >> (96 - (32 * index))) : index == 0 ? address.IPv4Value : 0;

    // AF_INET = 2, AF_INET6 = 10 on Linux.
    private static int Family(NetworkAddress address) => address.IsIPv6 ? 10 : 2;

    private static void Sort<T>(T[] a, T[] temp, int start, int n, Comparison<T> compare)
    {
        if (n <= 1)
        {
            return;
        }

        var n1 = n / 2;
        var n2 = n - n1;
        Sort(a, temp, start, n1, compare);
        Sort(a, temp, start + n1, n2, compare);

        int i = start, j = start + n1, k = 0;
        int end1 = start + n1, end2 = start + n;
        while (i < end1 && j < end2)
        {
            temp[k++] = compare(a[i], a[j]) <= 0 ? a[i++] : a[j++];
        }

        while (i < end1)
        {
            temp[k++] = a[i++];
        }

        // What is left of the right run is already in place.
        Array.Copy(temp, 0, a, start, k);
    }
}
