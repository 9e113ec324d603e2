using System.Diagnostics;
using System.Text.Json;
using SemanticMIM.Model.Checkpoints;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests.Support;

/// <summary>
/// Runs the independent PyTorch reference (python/semanticmim_reference.py, Debian's python3-torch) on a case
/// folder: config.json, weights.safetensors and inputs.safetensors in, outputs.safetensors out.
/// </summary>
internal sealed class PythonReference : IDisposable
{
    public const string Interpreter = "/usr/bin/python3";

    private readonly TempDirectory _dir = new();

    public PythonReference(object config)
    {
        File.WriteAllText(CaseFile("config.json"), JsonSerializer.Serialize(config));
    }

    public string CaseFile(string name) => _dir.File(name);

    public void WriteWeights(IReadOnlyDictionary<string, Tensor> weights) =>
        SafetensorsFile.Save(CaseFile("weights.safetensors"), weights);

    public void WriteInputs(IReadOnlyDictionary<string, Tensor> inputs) =>
        SafetensorsFile.Save(CaseFile("inputs.safetensors"), inputs);

    public Dictionary<string, Tensor> ReadWeights() => SafetensorsFile.Load(CaseFile("weights.safetensors")).Tensors;

    /// <summary>Has PyTorch draw its own weights for the configured model.</summary>
    public void Init() => Run("semanticmim_reference.py", "init", _dir.Path);

    public Dictionary<string, Tensor> Forward()
    {
        Run("semanticmim_reference.py", "forward", _dir.Path);
        return SafetensorsFile.Load(CaseFile("outputs.safetensors")).Tensors;
    }

    /// <summary>Runs a script from the python folder beside the tests and fails the test with its output on error.</summary>
    public static string Run(string script, params string[] arguments)
    {
        if (!File.Exists(Interpreter))
        {
            Assert.Fail($"{Interpreter} is missing: install python3-torch (the README's test command does)");
        }
        string scriptPath = Path.Combine(AppContext.BaseDirectory, "python", script);
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(scriptPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} {string.Join(' ', arguments)} did not finish within 5 minutes");
        }
        if (process.ExitCode != 0)
        {
            Assert.Fail($"{script} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        }
        return stdout.Result;
    }

    public void Dispose() => _dir.Dispose();
}
