namespace SemanticMIM.Cli;

/// <summary>How every command refuses bad input: what it did not do, then each problem on a line of its own, exit status 2.</summary>
internal static class InputProblems
{
    public const int ExitCode = 2;

    public static int Refuse(string notDone, IEnumerable<string> problems)
    {
        Console.Error.WriteLine($"{notDone}; fix these problems first:");
        foreach (string problem in problems)
        {
            Console.Error.WriteLine($"  {problem}");
        }
        return ExitCode;
    }
}
