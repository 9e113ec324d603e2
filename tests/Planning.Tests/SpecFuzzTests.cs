using System.Diagnostics;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning.Validation;
using Xunit.Abstractions;

namespace SemanticMIM.Planning.Tests;

/// <summary>
/// Fuzzed specs through the one validation every entry point runs: each is rejected with its problems or accepted
/// with configurations the trainer accepts; none ends in another exception, a crash or a hang.
/// </summary>
public sealed class SpecFuzzTests(ITestOutputHelper output)
{
    private const int Specs = 1500;

    [Fact]
    public async Task Fuzzed_specs_are_answered_with_their_problems_or_a_plan_never_with_a_crash_or_a_hang()
    {
        var fuzzer = new SpecFuzzer(seed: 13);
        var limits = new SpecLimits { TrainerMemoryBytes = 16L << 30, DataRoots = ["/data"] };
        var failures = new List<string>();
        int accepted = 0, rejected = 0;
        var slowest = TimeSpan.Zero;

        await Task.Run(() =>
        {
            for (int i = 0; i < Specs; i++)
            {
                string yaml = fuzzer.Next();
                var clock = Stopwatch.StartNew();
                try
                {
                    var plan = ExperimentPlan.Read(yaml, "fuzz.yaml", limits);
                    accepted++;
                    var problems = plan.Model.Encoder.Validate().Concat(plan.Training(trainSamples: 1000).Validate()).ToList();
                    if (problems.Count > 0 || StoreLayout.Experiment(plan.Id).Length == 0)
                    {
                        failures.Add($"accepted, but the planned configuration is invalid ({string.Join("; ", problems)}):\n{yaml}");
                    }
                }
                catch (InvalidSpecException rejection)
                {
                    rejected++;
                    if (rejection.Problems.Count == 0 || rejection.Problems.Any(p => p.Field.Length == 0 || p.Reason.Length == 0
                        || p.ToString().Any(c => char.IsControl(c))))
                    {
                        failures.Add($"rejected without a readable problem per field ({rejection.Message}):\n{yaml}");
                    }
                }
                catch (Exception error)
                {
                    failures.Add($"{error.GetType().Name}: {error.Message}\n{yaml}");
                }
                slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            }
        }).WaitAsync(TimeSpan.FromSeconds(90));

        output.WriteLine($"{accepted} accepted, {rejected} rejected, slowest {slowest.TotalMilliseconds:F0} ms");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
        Assert.Equal(Specs, accepted + rejected);
        Assert.True(rejected > Specs / 2 && accepted > 0, $"the fuzzer should produce mostly bad specs and some good ones ({accepted} accepted)");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"one spec took {slowest}");
    }
}
