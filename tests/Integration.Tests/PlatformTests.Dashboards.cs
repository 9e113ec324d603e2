using System.Text;
using System.Text.RegularExpressions;
using SemanticMIM.Charts.Tests.Dashboards;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Integration.Tests.Infrastructure;
using SemanticMIM.Planning;

namespace SemanticMIM.Integration.Tests;

/// <summary>
/// The chart's Grafana dashboards, proven against the running services: a real Prometheus (Debian's) scrapes the
/// orchestrator, shard, target, trainer and evaluator processes of this class and the broker's rabbitmq_prometheus
/// metrics every second while a sweep of one tiny experiment runs through every stage (sharding, targets, pretraining
/// with checkpoints, an evaluation, the report, then the sweep's report) and then one target unit of it fails (a ComputeTargets for a shard its data
/// set does not have), so that the failure counter is real too; then every expression of every shipped dashboard must
/// return data. The GPU
/// panels read NVIDIA's DCGM exporter, which needs a GPU: a <see cref="FakeDcgmExporter"/> serves its series for the
/// trainer's pod and another pod, and those panels must show exactly the trainer's GPU.
/// </summary>
/// <remarks>
/// <para>Template variables are resolved as Grafana resolves them, not assumed: each query variable's
/// <c>label_values(selector, label)</c> runs against this Prometheus (after the variables before it), must offer
/// the value this run produced, and that value is selected (several as Grafana's <c>(a|b)</c>). There is no
/// Kubernetes here: the local Prometheus labels every series <c>namespace="semanticmim-integration"</c>, as the
/// Prometheus Operator labels what a ServiceMonitor or PodMonitor scrapes with the pod's namespace, so the
/// dashboards' <c>namespace=~"$namespace"</c> matchers are tested with a real value, unchanged.</para>
/// <para>Time series panels run as range queries over the experiment, tables and stats as instant queries at its
/// end, with <c>$__range</c> the experiment's length and <c>$__rate_interval</c> Grafana's value for a data source
/// scraped every 15 s (1m). A query passes when it returns a series with a number (not only NaN). The error panels
/// are written <c>X or Y * 0</c> (zero while nothing failed): for those the test reports whether X itself had
/// series, and requires it where it caused the failure (<see cref="ForcedFailurePanels"/>).</para>
/// </remarks>
public sealed partial class PlatformTests
{
    private const string DashboardSweep = "dashboards";

    /// <summary>The sweep's one cell: no arms or axes, seed 1 (the spec's own, so its targets are those the spec alone would make).</summary>
    private const string DashboardExperiment = "dashboards-s1";

    /// <summary>Panels of <c>X or Y * 0</c> queries whose own series X this test causes (the others stay at their zero).</summary>
    private static readonly HashSet<string> ForcedFailurePanels = ["Units failed"];

    /// <summary>What each dashboard variable must offer and is set to: one value, or several (multi-value).</summary>
    private Dictionary<string, string[]> DashboardSelections() => new()
    {
        ["namespace"] = [InfrastructureFixture.PrometheusNamespace],
        ["experiment"] = [DashboardExperiment],
        ["sweep"] = [DashboardSweep],
        ["job"] = platform.Services.Select(PrometheusJob).ToArray(),
    };

    [Fact]
    public Task Every_query_of_the_shipped_dashboards_returns_data_from_a_prometheus_that_scraped_the_services_during_an_experiment() =>
        platform.RunAsync(infrastructure, output, async events =>
    {
        var jobs = platform.Services.Select(service => (Job: PrometheusJob(service), Address: service.BaseAddress)).ToList();
        // The trainer's job agent runs the pretraining job, so its pod holds "the trainer's GPU".
        using var dcgm = new FakeDcgmExporter(InfrastructureFixture.PrometheusNamespace, $"{PrometheusJob(platform.Trainer)}-0");
        var exporters = new[] { (Job: "dcgm-exporter", Address: new Uri($"http://127.0.0.1:{dcgm.Port}/")) };
        using var prometheus = new PrometheusApi(await infrastructure.StartPrometheusAsync(jobs, exporters));
        try
        {
            // Every service and the broker scraped before the experiment starts: its counters are seen from their first value.
            await prometheus.WaitForSeriesAsync($"count(up{{namespace=\"{InfrastructureFixture.PrometheusNamespace}\"}} == 1) == {jobs.Count + 1}", Short);
            await prometheus.WaitForSeriesAsync("up{job=\"dcgm-exporter\"} == 1", Short);
            var from = DateTimeOffset.UtcNow;

            // A data set of its own (48 test images): its shards and targets are made in this experiment, not reused from
            // an earlier test of the class, so the shard and target stages count units and samples for it. It runs as the
            // one cell of a sweep, so that the orchestrator records the sweep's gauges too.
            var sweep = new StartSweep
            {
                SweepId = Guid.NewGuid(),
                SweepYaml = $"sweep:\n  name: {DashboardSweep}\n  seeds: [1]\n  base:\n"
                    + string.Join('\n', TinySpecs.FashionMnist("base", testSamples: 48).Split('\n').Select(line => "    " + line)),
                RequestedBy = "integration-tests",
            };
            var experimentId = SweepCellIds.ExperimentId(sweep.SweepId, DashboardExperiment);
            await platform.Client.PublishAsync(sweep);
            await events.WaitForAsync<ExperimentCompleted>(experimentId, "ExperimentCompleted of the dashboards experiment", PlatformFixture.ExperimentTimeout);
            var swept = await events.WaitForAsync<SweepCompleted>(sweep.SweepId, "SweepCompleted of the dashboards sweep", Short);
            Assert.Equal(["completed"], swept.Cells.Select(c => c.State));

            // A unit that fails: targets of a shard the data set does not have. The target service retries it, its fault
            // reaches the orchestrator, which counts the failed unit; the experiment, already completed, stays so.
            await platform.Client.PublishAsync(new ComputeTargets { ExperimentId = experimentId, Shard = "shard-999999.tar" });
            await prometheus.WaitForSeriesAsync($"semanticmim_units_failed_total{{stage=\"targets\", experiment=\"{DashboardExperiment}\"}}", Short);
            var status = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = experimentId });
            Assert.Equal("completed", status.State);

            // The last unit's counter and the evaluation's results reach Prometheus with the next scrape; a few more
            // scrapes give every rate() window two samples of the series that appeared last.
            await prometheus.WaitForSeriesAsync($"semanticmim_units_completed_total{{stage=\"evaluate\", experiment=\"{DashboardExperiment}\"}}", Short);
            await prometheus.WaitForSeriesAsync($"semanticmim_evaluation_result{{experiment=\"{DashboardExperiment}\"}}", Short);
            await prometheus.WaitForSeriesAsync($"semanticmim_sweep_cell_result{{sweep=\"{DashboardSweep}\", cell=\"{DashboardExperiment}\"}}", Short);
            await Task.Delay(TimeSpan.FromSeconds(3));
            var to = DateTimeOffset.UtcNow;

            var problems = new List<string>();
            var report = new StringBuilder();
            var queries = DashboardQueries.ExtractAll(DashboardQueries.DefaultFolder);
            foreach (var dashboard in queries.GroupBy(query => query.Dashboard))
            {
                var variables = await ResolveDashboardVariablesAsync(prometheus, dashboard.Key, from, to, problems, report);
                variables["__range"] = $"{(int)Math.Ceiling((to - from).TotalSeconds)}s";
                variables["__rate_interval"] = "1m";
                variables["__interval"] = "2s";
                foreach (var query in dashboard)
                {
                    string resolved = query.Resolved(variables);
                    string line = await RunDashboardQueryAsync(prometheus, query, resolved, from, to, problems);
                    report.AppendLine(line);
                    if (query.Panel is "GPU utilisation" or "GPU memory used")
                    {
                        await CheckGpuPanelAsync(prometheus, query, resolved, to, problems);
                    }
                }
            }
            output.WriteLine(report.ToString());

            Assert.True(queries.Count >= 25, $"only {queries.Count} dashboard queries were found in {DashboardQueries.DefaultFolder}");
            Assert.True(problems.Count == 0,
                $"{problems.Count} problem(s) with the {queries.Count} dashboard queries run against Prometheus (each must return a series with a number):\n" +
                string.Join('\n', problems) + $"\n\nevery query:\n{report}");
        }
        finally
        {
            await infrastructure.StopPrometheusAsync();
        }
    });

    /// <summary>
    /// A GPU panel shows the trainer pod's GPU under the experiment's name, with the exporter's value, and leaves out
    /// the GPU of a pod that is not one of the experiment's.
    /// </summary>
    private static async Task CheckGpuPanelAsync(PrometheusApi prometheus, DashboardQuery query, string resolved, DateTimeOffset at, List<string> problems)
    {
        double expected = query.Panel == "GPU utilisation" ? FakeDcgmExporter.Utilisation : FakeDcgmExporter.MemoryUsedMiB * 1024 * 1024;
        var result = await prometheus.QueryAsync(resolved, at);
        var shown = result.Series.Select(series => (Experiment: series.Labels.GetValueOrDefault("experiment"), Gpu: series.Labels.GetValueOrDefault("gpu"), Value: series.Values.LastOrDefault())).ToList();
        if (shown.Count != 1 || shown[0].Experiment != DashboardExperiment || shown[0].Gpu != "0" || shown[0].Value != expected)
        {
            problems.Add($"{query.Dashboard} / {query.Panel}: expected one series (experiment {DashboardExperiment}, GPU 0) of {expected}, got [{string.Join("; ", shown)}]\n    {resolved}");
        }
    }

    /// <summary>The job a service's /metrics is scraped as (in the cluster: its Service's name).</summary>
    private static string PrometheusJob(ServiceProcess service) => service.Name.ToLowerInvariant();

    /// <summary>
    /// Runs the dashboard's query variables in order, as Grafana does, and selects in each the value(s) this test
    /// produced, which it must offer; a variable the test does not know is a problem (a new one needs a choice here).
    /// </summary>
    private async Task<Dictionary<string, string>> ResolveDashboardVariablesAsync(PrometheusApi prometheus, string dashboard,
        DateTimeOffset from, DateTimeOffset to, List<string> problems, StringBuilder report)
    {
        var selections = DashboardSelections();
        var values = new Dictionary<string, string>();
        var dashboardVariables = Directory.GetFiles(DashboardQueries.DefaultFolder, "*.json")
            .SelectMany(path => DashboardQueries.ExtractVariables(File.ReadAllText(path)))
            .Where(variable => variable.Dashboard == dashboard);
        foreach (var variable in dashboardVariables)
        {
            string selector = DashboardQueries.Resolve(variable.Selector, values);
            var offered = await prometheus.LabelValuesAsync(variable.Label, selector, from, to);
            report.AppendLine($"{dashboard}: ${variable.Name} = label_values({selector}, {variable.Label}) offers [{string.Join(", ", offered)}]");
            if (!selections.TryGetValue(variable.Name, out var wanted))
            {
                problems.Add($"{dashboard}: the variable ${variable.Name} is new to this test: choose the value(s) it must offer in DashboardSelections");
                wanted = offered.ToArray();
            }
            var missing = wanted.Except(offered, StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"{dashboard}: the variable ${variable.Name} (label_values({selector}, {variable.Label})) does not offer {string.Join(", ", missing)}; it offers [{string.Join(", ", offered)}]");
            }
            values[variable.Name] = GrafanaRegex(wanted);
        }
        return values;
    }

    /// <summary>
    /// Runs one query as its panel does and describes what came back; a query without a series that has a number is
    /// a problem. For <c>X or Y * 0</c> (zero while nothing failed) it also tells whether X itself had data.
    /// </summary>
    private static async Task<string> RunDashboardQueryAsync(PrometheusApi prometheus, DashboardQuery query, string resolved,
        DateTimeOffset from, DateTimeOffset to, List<string> problems)
    {
        var step = TimeSpan.FromSeconds(2);
        Task<PromQlResult> Run(string expr) => query.Instant ? prometheus.QueryAsync(expr, to) : prometheus.QueryRangeAsync(expr, from, to, step);
        string where = $"{query.Dashboard} / {query.Panel} / {query.RefId} ({(query.Instant ? "instant" : "range")})";
        PromQlResult result;
        try
        {
            result = await Run(resolved);
        }
        catch (PromQlException error)
        {
            problems.Add($"{where}: {error.Message}\n    {resolved}");
            return $"{where}: ERROR {error.Message}";
        }
        string line = $"{where}: {result}";
        if (ZeroWhenAbsent().Match(resolved) is { Success: true } fallback)
        {
            var own = await Run(fallback.Groups["own"].Value);
            line += own.Series.Count > 0 ? $" [its own series: {own}]" : " [its own series: none, so the 0-valued fallback]";
            if (ForcedFailurePanels.Contains(query.Panel) && !own.HasFiniteValue)
            {
                problems.Add($"{where}: the failure this test caused does not show; its own part returned no series\n    {fallback.Groups["own"].Value}");
            }
        }
        if (result.Series.Count == 0 || !result.HasFiniteValue)
        {
            problems.Add($"{where}: {(result.Series.Count == 0 ? "no series" : "only NaN or Inf values")}\n    {resolved}");
        }
        return line;
    }

    /// <summary>Grafana's value for a multi-value variable in a regex matcher: the value, or <c>(a|b)</c>, regex characters escaped.</summary>
    private static string GrafanaRegex(IReadOnlyList<string> values)
    {
        // Inside a PromQL string a regex backslash is written twice.
        var escaped = values.Select(value => Regex.Escape(value).Replace(@"\", @"\\", StringComparison.Ordinal)).ToList();
        return escaped.Count == 1 ? escaped[0] : $"({string.Join('|', escaped)})";
    }

    [GeneratedRegex(@"^(?<own>.+\)) or (?<zero>.+ \* 0)$")]
    private static partial Regex ZeroWhenAbsent();
}
