namespace LoadBalancing.Forwarding.Linux;

/// <summary>Handles one received frame in place; implemented by a struct so the ring loop inlines it.</summary>
internal interface IFrameHandler
{
    void Handle(Span<byte> frame);
}
