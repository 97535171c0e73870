namespace LoadBalancing.Health;

/// <summary>
/// HAProxy's rise/fall health counter (<c>src/check.c</c>, <c>set_server_check_status</c>): one number in
/// 0..rise+fall−1; the target is up while it is at least <c>rise</c>.
/// </summary>
/// <remarks>
/// A pass adds 1 and, on reaching <c>rise</c>, jumps to the top (rise+fall−1); a failure subtracts 1 and, on
/// dropping below <c>rise</c>, jumps to 0. So while up any pass restores the top and while down any failure
/// restores 0: a down target needs <c>rise</c> consecutive passes, an up one <c>fall</c> consecutive failures,
/// and a target alternating pass/fail never changes state once rise and fall are both at least 2.
/// (Checked against HAProxy 2.x/3.x check.c; the CONDPASS refinement of later versions does not apply here.)
/// </remarks>
internal struct HealthCounter
{
    private readonly int _rise;
    private readonly int _top;
    private int _health;

    public HealthCounter(int rise, int fall, HealthState initial)
    {
        _rise = rise;
        _top = rise + fall - 1;
        _health = initial == HealthState.Up ? _top : 0;
    }

    public readonly HealthState State => _health >= _rise ? HealthState.Up : HealthState.Down;

    public readonly int Value => _health;

    public void Report(bool passed)
    {
        if (passed)
        {
            if (_health < _top)
            {
                _health++;
                if (_health >= _rise)
                {
                    _health = _top;
                }
            }
        }
        else if (_health > 0)
        {
            _health--;
            if (_health < _rise)
            {
                _health = 0;
            }
        }
    }
}
