using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using SemanticMIM.Charts.Tests.Dashboards;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>The Grafana dashboards: shipped as labelled ConfigMaps, valid, and querying only series the code emits.</summary>
public sealed partial class DashboardTests
{
    static readonly string[] Titles = ["SemanticMIM experiments", "SemanticMIM services", "SemanticMIM sweeps"];

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EachDashboardIsAConfigMapLabelledForTheGrafanaSidecar(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        bool custom = valuesFile == RenderMatrix.Monitoring;

        var maps = chart.All<V1ConfigMap>().Where(map => map.Metadata.Labels.ContainsKey("grafana_dashboard")).ToList();
        Assert.Equal(Titles.Length, maps.Count);
        foreach (var map in maps)
        {
            Assert.Equal(custom ? "true" : "1", map.Metadata.Labels["grafana_dashboard"]);
            Assert.Equal(custom ? "grafana" : Chart.Namespace, map.Metadata.NamespaceProperty);
            if (custom)
            {
                Assert.Equal("SemanticMIM", map.Metadata.Annotations["grafana_folder"]);
            }

            var (file, json) = Assert.Single(map.Data);
            Assert.EndsWith(".json", file, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllText(Path.Combine(DashboardQueries.DefaultFolder, file)).TrimEnd(), json.TrimEnd());
        }

        Assert.Equal(Titles, maps.Select(map => (string?)JsonNode.Parse(map.Data.Values.Single())!["title"]).Order());
    }

    [Fact]
    public async Task DashboardsCanBeTurnedOff()
    {
        var chart = await Chart.RenderAsync(null, "--set", "dashboards.enabled=false");

        Assert.DoesNotContain(chart.All<V1ConfigMap>(), map => map.Metadata.Labels.ContainsKey("grafana_dashboard"));
    }

    [Fact]
    public void EveryPanelHasQueriesAndEveryQueryAnExpression()
    {
        var uids = new HashSet<string>();
        foreach (var (file, dashboard) in Dashboards())
        {
            Assert.True(uids.Add((string)dashboard["uid"]!), $"{file}: duplicate uid");
            Assert.Contains((string?)dashboard["title"], Titles);
            var ids = new HashSet<int>();
            var panels = DashboardQueries.Panels(dashboard).ToList();
            Assert.NotEmpty(panels);
            foreach (var panel in panels)
            {
                string where = $"{file} / {panel["title"]}";
                Assert.True(ids.Add((int)panel["id"]!), $"{where}: duplicate panel id");
                Assert.Equal("${datasource}", (string?)panel["datasource"]?["uid"]);
                var position = panel["gridPos"]!;
                Assert.True((int)position["x"]! + (int)position["w"]! <= 24, $"{where}: wider than the grid");
                var targets = panel["targets"]?.AsArray();
                Assert.True(targets is { Count: > 0 }, $"{where}: no queries");
                foreach (var target in targets!)
                {
                    Assert.False(string.IsNullOrWhiteSpace((string?)target!["expr"]), $"{where}: a query without expr");
                    Assert.False(string.IsNullOrWhiteSpace((string?)target["refId"]), $"{where}: a query without refId");
                }
            }

            var variables = dashboard["templating"]!["list"]!.AsArray().Select(v => (string?)v!["name"]).ToList();
            Assert.Contains("datasource", variables);
            Assert.Contains("namespace", variables);
        }
    }

    [Fact]
    public void TheExperimentsDashboardShowsTrainingStagesAndResults()
    {
        var queries = Queries("SemanticMIM experiments");
        var metrics = queries.SelectMany(q => DashboardQueries.MetricNames(q.Expr)).ToHashSet();

        Assert.Superset(new HashSet<string>
        {
            "semanticmim_training_loss", "semanticmim_training_learning_rate", "semanticmim_training_step",
            "semanticmim_training_images_per_second", "semanticmim_training_data_wait_ratio",
            "semanticmim_checkpoint_duration_seconds_bucket", "semanticmim_checkpoint_duration_seconds_sum",
            "semanticmim_units_completed_total", "semanticmim_units_failed_total", "semanticmim_evaluation_result",
            "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED",
        }, metrics);
        Assert.All(queries, query => Assert.Contains("experiment=~\"$experiment\"", query.Expr, StringComparison.Ordinal));
        Assert.All(queries, query => Assert.Contains("namespace=~\"$namespace\"", query.Expr, StringComparison.Ordinal));
        var dashboard = Dashboards().Single(d => (string?)d.Dashboard["title"] == "SemanticMIM experiments").Dashboard;
        Assert.Contains("experiment", dashboard["templating"]!["list"]!.AsArray().Select(v => (string?)v!["name"]));
    }

    [Fact]
    public void TheServicesDashboardShowsMessagesErrorsQueuesAndTheRuntime()
    {
        var metrics = Queries("SemanticMIM services").SelectMany(q => DashboardQueries.MetricNames(q.Expr)).ToHashSet();

        Assert.Superset(new HashSet<string>
        {
            "messaging_masstransit_consume_ea_total", "messaging_masstransit_consume_errors_ea_total",
            "messaging_masstransit_receive_errors_ea_total", "messaging_masstransit_send_ea_total",
            "rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked",
            "dotnet_process_cpu_time_seconds_total", "dotnet_process_memory_working_set_bytes", "dotnet_gc_collections_total",
        }, metrics);
    }

    [Fact]
    public void TheSweepsDashboardShowsCellsByStateAndTheirResults()
    {
        var queries = Queries("SemanticMIM sweeps");
        var metrics = queries.SelectMany(q => DashboardQueries.MetricNames(q.Expr)).ToHashSet();

        Assert.Equal(new HashSet<string> { "semanticmim_sweep_cells", "semanticmim_sweep_cell_result" }, metrics);
        Assert.Equal(["Cells by state", "Cells per sweep and state", "Cells ended", "Cell results", "Mean over seeds per group"], queries.Select(q => q.Panel));
        Assert.All(queries, query => Assert.Contains("sweep=~\"$sweep\"", query.Expr, StringComparison.Ordinal));
        Assert.All(queries, query => Assert.Contains("namespace=~\"$namespace\"", query.Expr, StringComparison.Ordinal));
        Assert.Equal("max by (sweep, cell, arm, point, seed) (last_over_time(semanticmim_sweep_cell_result{namespace=~\"ml\", sweep=~\"s1\"}[1h]))",
            queries.Single(q => q.Panel == "Cell results").Resolved(new Dictionary<string, string> { ["namespace"] = "ml", ["sweep"] = "s1", ["__range"] = "1h" }));
    }

    [Fact]
    public void QueriesUseOnlySeriesTheServicesEmit()
    {
        var known = KnownMetrics.All();
        foreach (var query in DashboardQueries.ExtractAll(DashboardQueries.DefaultFolder))
        {
            var names = DashboardQueries.MetricNames(query.Expr);
            Assert.NotEmpty(names);
            Assert.All(names, name => Assert.True(known.Contains(name), $"{query}: '{name}' is not a series the services (or RabbitMQ, or Prometheus) emit"));
        }

        foreach (var (_, dashboard) in Dashboards())
        {
            foreach (var selector in DashboardQueries.ExtractVariableSelectors(dashboard.ToJsonString()))
            {
                Assert.All(DashboardQueries.MetricNames(selector + "{}").Take(1), name => Assert.Contains(name, known));
            }
        }
    }

    [Fact]
    public void ErrorPanelsShowZeroRatherThanNoDataWhileNothingFailed()
    {
        // A counter appears only once it is first incremented: a query on it alone would show "No data".
        var onlyOnFailure = new[] { "semanticmim_units_failed_total", "semanticmim_samples_skipped_total", "_errors_ea_total" };
        foreach (var query in DashboardQueries.ExtractAll(DashboardQueries.DefaultFolder)
                     .Where(q => onlyOnFailure.Any(name => q.Expr.Contains(name, StringComparison.Ordinal))))
        {
            Assert.Matches(@"\) or .+\* 0$", query.Expr);
        }
    }

    [Fact]
    public void ExtractingTheQueriesGivesEveryExpressionReadyForPrometheus()
    {
        var queries = DashboardQueries.ExtractAll(DashboardQueries.DefaultFolder);
        int targets = Dashboards().Sum(d => DashboardQueries.Panels(d.Dashboard).Sum(p => p["targets"]!.AsArray().Count));

        Assert.Equal(targets, queries.Count);
        Assert.True(queries.Count >= 25, $"only {queries.Count} queries");
        Assert.Equal(Titles, queries.Select(q => q.Dashboard).Distinct().Order());
        Assert.Contains(queries, q => q.Instant);
        foreach (var query in queries)
        {
            string resolved = query.Resolved();
            Assert.DoesNotContain("$", resolved, StringComparison.Ordinal);
            Assert.Equal(resolved.Count(c => c == '('), resolved.Count(c => c == ')'));
            Assert.Equal(resolved.Count(c => c == '{'), resolved.Count(c => c == '}'));
            Assert.Equal(resolved.Count(c => c == '['), resolved.Count(c => c == ']'));
        }

        var loss = queries.Single(q => q.Panel == "Training loss");
        Assert.Equal("max by (experiment) (semanticmim_training_loss{namespace=~\".*\", experiment=~\".*\"})", loss.Resolved());
        Assert.Equal("max by (experiment) (semanticmim_training_loss{namespace=~\"ml\", experiment=~\"e1\"})",
            loss.Resolved(new Dictionary<string, string> { ["namespace"] = "ml", ["experiment"] = "e1" }));
        Assert.Contains("[5m]", DashboardQueries.Resolve("rate(x[$__rate_interval])", new Dictionary<string, string> { ["__rate_interval"] = "5m" }), StringComparison.Ordinal);
        Assert.Equal("a b c", DashboardQueries.Resolve("${x} [[y]] $z", new Dictionary<string, string> { ["x"] = "a", ["y"] = "b", ["z"] = "c" }));
        Assert.Throws<ArgumentException>(() => DashboardQueries.Resolve("up{job=~\"$nobody\"}"));
    }

    [Fact]
    public void VariableSelectorsAreExtractedToo()
    {
        var experiments = Dashboards().Single(d => (string?)d.Dashboard["title"] == "SemanticMIM experiments").Dashboard;
        var services = Dashboards().Single(d => (string?)d.Dashboard["title"] == "SemanticMIM services").Dashboard;
        var sweeps = Dashboards().Single(d => (string?)d.Dashboard["title"] == "SemanticMIM sweeps").Dashboard;

        Assert.Equal(["semanticmim_units_completed_total", "semanticmim_units_completed_total{namespace=~\"$namespace\"}"],
            DashboardQueries.ExtractVariableSelectors(experiments.ToJsonString()));
        Assert.Equal(["target_info", "target_info{namespace=~\"$namespace\"}"], DashboardQueries.ExtractVariableSelectors(services.ToJsonString()));
        Assert.Equal([("namespace", "namespace"), ("experiment", "experiment")],
            DashboardQueries.ExtractVariables(experiments.ToJsonString()).Select(v => (v.Name, v.Label)));
        Assert.Equal([("namespace", "namespace"), ("job", "job")], DashboardQueries.ExtractVariables(services.ToJsonString()).Select(v => (v.Name, v.Label)));
        Assert.All(DashboardQueries.ExtractVariables(services.ToJsonString()), v => Assert.Equal("SemanticMIM services", v.Dashboard));
        Assert.Equal(["semanticmim_sweep_cells", "semanticmim_sweep_cells{namespace=~\"$namespace\"}"], DashboardQueries.ExtractVariableSelectors(sweeps.ToJsonString()));
        Assert.Equal([("namespace", "namespace"), ("sweep", "sweep")], DashboardQueries.ExtractVariables(sweeps.ToJsonString()).Select(v => (v.Name, v.Label)));
    }

    static List<DashboardQuery> Queries(string title) =>
        DashboardQueries.ExtractAll(DashboardQueries.DefaultFolder).Where(q => q.Dashboard == title).ToList();

    static List<(string File, JsonObject Dashboard)> Dashboards() =>
        Directory.GetFiles(DashboardQueries.DefaultFolder, "*.json").Order(StringComparer.Ordinal)
            .Select(file => (Path.GetFileName(file), JsonNode.Parse(File.ReadAllText(file))!.AsObject()))
            .ToList();
}

/// <summary>
/// The Prometheus series the platform's processes emit, derived where possible from the code itself:
/// the SemanticMIM meter's instruments from <c>src/Platform/Telemetry/SemanticMimMetrics.cs</c> (named as the
/// OpenTelemetry Prometheus exporter names them: dots to underscores, the unit's word, <c>_total</c> for counters,
/// <c>_bucket</c>/<c>_sum</c>/<c>_count</c> for histograms); MassTransit 8.5's instruments (counters in the unit
/// <c>ea</c>, durations in milliseconds); the .NET runtime's (as a real scrape of a service shows them);
/// rabbitmq_prometheus's queue gauges; NVIDIA's DCGM exporter's GPU utilisation and memory gauges; and Prometheus'
/// own <c>up</c> and the exporter's <c>target_info</c>.
/// </summary>
public static partial class KnownMetrics
{
    static readonly string[] MassTransitCounters =
    [
        "receive", "receive.errors", "consume", "consume.errors", "consume.retries", "send", "send.errors", "handler", "handler.errors",
        "saga", "saga.errors", "outbox.send", "outbox.send.errors", "outbox.delivery", "outbox.delivery.errors",
        "execute", "execute.errors", "compensate", "compensate.errors",
    ];

    static readonly string[] MassTransitDurations = ["receive", "consume", "saga", "handler", "delivery", "execute", "compensate"];

    static readonly string[] Runtime =
    [
        "dotnet_assembly_count", "dotnet_gc_collections_total", "dotnet_gc_heap_total_allocated_bytes_total",
        "dotnet_gc_last_collection_heap_fragmentation_size_bytes", "dotnet_gc_last_collection_heap_size_bytes",
        "dotnet_gc_last_collection_memory_committed_size_bytes", "dotnet_gc_pause_time_seconds_total",
        "dotnet_jit_compilation_time_seconds_total", "dotnet_jit_compiled_il_size_bytes_total", "dotnet_jit_compiled_methods_total",
        "dotnet_monitor_lock_contentions_total", "dotnet_process_cpu_count", "dotnet_process_cpu_time_seconds_total",
        "dotnet_process_memory_working_set_bytes", "dotnet_thread_pool_queue_length_total", "dotnet_thread_pool_thread_count_total",
        "dotnet_thread_pool_work_item_count_total", "dotnet_timer_count",
    ];

    static readonly string[] RabbitMq = ["rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked", "rabbitmq_queue_consumers"];

    static readonly string[] Dcgm = ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED"];

    public static HashSet<string> All()
    {
        var names = new HashSet<string>(SemanticMim(), StringComparer.Ordinal) { "up", "target_info" };
        names.UnionWith(Dcgm);
        foreach (var counter in MassTransitCounters)
        {
            names.Add($"messaging_masstransit_{counter.Replace('.', '_')}_ea_total");
        }

        foreach (var duration in MassTransitDurations)
        {
            foreach (var suffix in new[] { "bucket", "sum", "count" })
            {
                names.Add($"messaging_masstransit_{duration}_duration_milliseconds_{suffix}");
            }
        }

        names.UnionWith(Runtime);
        names.UnionWith(RabbitMq);
        return names;
    }

    /// <summary>The SemanticMIM meter's series, read from the instruments SemanticMimMetrics creates.</summary>
    public static IReadOnlyList<string> SemanticMim()
    {
        string source = File.ReadAllText(Path.Combine(Chart.RepositoryRoot, "src", "Platform", "Telemetry", "SemanticMimMetrics.cs"));
        var names = new List<string>();
        foreach (Match match in Instrument().Matches(source))
        {
            string name = match.Groups["name"].Value.Replace('.', '_');
            if (match.Groups["unit"].Value == "s")
            {
                name += "_seconds";
            }

            switch (match.Groups["kind"].Value)
            {
                case "Counter":
                    names.Add(name + "_total");
                    break;
                case "Histogram":
                    names.AddRange([name + "_bucket", name + "_sum", name + "_count"]);
                    break;
                default:
                    names.Add(name);
                    break;
            }
        }

        Assert.True(names.Count >= 10, $"found only {names.Count} instruments in SemanticMimMetrics.cs");
        return names;
    }

    [GeneratedRegex(@"Create(?<kind>Gauge|Counter|Histogram)<\w+>\(\s*""(?<name>semanticmim\.[a-z_.]+)""(\s*,\s*unit:\s*""(?<unit>[^""]*)"")?")]
    private static partial Regex Instrument();
}
