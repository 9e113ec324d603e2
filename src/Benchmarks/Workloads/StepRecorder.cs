using System.Diagnostics;
using System.Text.Json;
using SemanticMIM.Model;
using static TorchSharp.torch;

namespace SemanticMIM.Benchmarks.Workloads;

/// <summary>Times a project side's steps (warm-up first, untimed) and records the resident memory after every step.</summary>
internal sealed class StepRecorder(SideSpec spec, string description, int itemsPerStep)
{
    private readonly List<double> _warmup = [];
    private readonly List<double> _steps = [];
    private readonly List<long> _resident = [];
    private readonly List<long> _managed = [];
    private readonly Dictionary<string, JsonElement> _extra = new(StringComparer.Ordinal);

    public void Run(Action step) => RunAsync(() =>
    {
        step();
        return Task.CompletedTask;
    }).GetAwaiter().GetResult();

    public async Task RunAsync(Func<Task> step)
    {
        for (int i = 0; i < spec.Warmup + spec.Steps; i++)
        {
            var clock = Stopwatch.StartNew();
            await step();
            (i < spec.Warmup ? _warmup : _steps).Add(clock.Elapsed.TotalSeconds);
            _resident.Add(ProcessMemory.ResidentBytes);
            _managed.Add(GC.GetGCMemoryInfo().TotalCommittedBytes);
        }
    }

    public void Extra<T>(string name, T value) => _extra[name] = JsonSerializer.SerializeToElement(value, SideSpec.Json);

    public SideRun Finish()
    {
        // How much of the resident memory is the .NET heap (committed by the GC), so growth can be told apart from libtorch's.
        Extra("managedCommittedAfterStepBytes", _managed);
        return new()
        {
            Side = "project",
            Description = description,
            ItemsPerStep = itemsPerStep,
            WarmupSeconds = _warmup,
            StepSeconds = _steps,
            RssAfterStepBytes = _resident,
            VmHwmBytes = ProcessMemory.PeakResidentBytes,
            Threads = get_num_threads(),
            Versions = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [".NET"] = Environment.Version.ToString(),
                ["TorchSharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "",
                ["fastBlas"] = FastBlas.State?.ToString() ?? "not decided",
                ["allocator"] = NativeAllocator.State?.ToString() ?? "not decided",
            },
            Extra = _extra,
        };
    }
}
