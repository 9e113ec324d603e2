namespace SemanticMIM.Training;

/// <summary>The loss became NaN or infinite; the update was not applied and no checkpoint was written.</summary>
public sealed class NonFiniteLossException : Exception
{
    public NonFiniteLossException(int step, double loss)
        : base($"the loss at step {step} is {loss}; training stopped before applying that update")
    {
        Step = step;
        Loss = loss;
    }

    /// <summary>The 1-based update whose loss was not finite.</summary>
    public int Step { get; }

    public double Loss { get; }
}
