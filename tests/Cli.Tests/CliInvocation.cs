using System.CommandLine;
using Spectre.Console;

namespace SemanticMIM.Cli.Tests;

/// <summary>Runs one command as the <c>semanticmim</c> root would, capturing its console output and standard error.</summary>
internal static class CliInvocation
{
    public static async Task<(int Code, string Output, string Errors)> InvokeAsync(Func<IAnsiConsole, Command> create, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200;
        var previousError = Console.Error;
        Console.SetError(errors);
        try
        {
            var root = new RootCommand { create(console) };
            int code = await root.Parse(args).InvokeAsync();
            return (code, output.ToString(), errors.ToString());
        }
        finally
        {
            Console.SetError(previousError);
        }
    }
}
