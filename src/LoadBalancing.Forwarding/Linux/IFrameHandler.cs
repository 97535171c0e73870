namespace LoadBalancing.Forwarding.Linux;

/// <summary>Handles one received frame in place; implemented by a struct so the ring loop inlines it.</summary>
internal interface IFrameHandler
{
    void Handle(Span<byte> frame);

    /// <summary>Called after the last frame of a batch of ring slots, before the slots go back to the kernel.</summary>
    void EndBlock();
}
