using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SemanticMIM.Charts.Tests.Dashboards;

/// <summary>One PromQL query of a shipped Grafana dashboard.</summary>
/// <param name="Dashboard">The dashboard's title.</param>
/// <param name="Panel">The panel's title.</param>
/// <param name="RefId">The query's refId within the panel (A, B, …).</param>
/// <param name="Expr">The expression as written, with Grafana variables such as <c>$namespace</c> and <c>$__rate_interval</c>.</param>
/// <param name="Instant">Whether Grafana runs it as an instant query (tables, stats) rather than over a range.</param>
public sealed record DashboardQuery(string Dashboard, string Panel, string RefId, string Expr, bool Instant)
{
    /// <summary>The expression with Grafana's variables replaced, ready for Prometheus' HTTP API (see <see cref="DashboardQueries.Resolve"/>).</summary>
    public string Resolved(IReadOnlyDictionary<string, string>? variables = null) => DashboardQueries.Resolve(Expr, variables);

    public override string ToString() => $"{Dashboard} / {Panel} / {RefId}: {Expr}";
}

/// <summary>
/// One query variable of a dashboard, <c>label_values(SELECTOR, LABEL)</c>: Grafana offers the values of
/// <paramref name="Label"/> on the series <paramref name="Selector"/> selects (itself with variables, resolved in order).
/// </summary>
public sealed record DashboardVariable(string Dashboard, string Name, string Selector, string Label);

/// <summary>
/// Reads the PromQL of the dashboards in <c>charts/semanticmim/dashboards/</c>, for tests that check them and for
/// running each one against a real Prometheus that scraped the services (tests/Integration.Tests compiles this
/// file too, linked, so it depends on nothing else of this project):
/// <code>
/// foreach (var query in DashboardQueries.ExtractAll(DashboardQueries.DefaultFolder))
/// {
///     var url = $"http://127.0.0.1:9090/api/v1/query?query={Uri.EscapeDataString(query.Resolved())}";
///     // expect status "success" and a non-empty data.result
/// }
/// </code>
/// </summary>
public static partial class DashboardQueries
{
    /// <summary>
    /// What <see cref="Resolve"/> puts in place of Grafana's variables unless told otherwise: every multi-value
    /// variable matches anything (its "All" value, <c>.*</c>, which also matches a series without that label, as
    /// scraped outside Kubernetes), and the built-in intervals get values that fit a short test scrape.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DefaultVariables { get; } = new Dictionary<string, string>
    {
        ["namespace"] = ".*",
        ["experiment"] = ".*",
        ["sweep"] = ".*",
        ["job"] = ".*",
        ["__rate_interval"] = "1m",
        ["__interval"] = "15s",
        ["__range"] = "1h",
    };

    /// <summary>The chart's dashboards folder in this repository (found above the test assembly).</summary>
    public static string DefaultFolder => FindDefaultFolder();

    /// <summary>Every panel query of every <c>*.json</c> dashboard in <paramref name="folder"/>.</summary>
    public static IReadOnlyList<DashboardQuery> ExtractAll(string folder) =>
        Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal)
            .SelectMany(file => Extract(File.ReadAllText(file)))
            .ToList();

    /// <summary>Every panel query of one dashboard (panels nested in rows included), in panel order.</summary>
    public static IReadOnlyList<DashboardQuery> Extract(string dashboardJson)
    {
        var dashboard = JsonNode.Parse(dashboardJson)?.AsObject() ?? throw new ArgumentException("not a JSON object", nameof(dashboardJson));
        string title = (string?)dashboard["title"] ?? "";
        var queries = new List<DashboardQuery>();
        foreach (var panel in Panels(dashboard))
        {
            foreach (var target in panel["targets"]?.AsArray() ?? [])
            {
                if (target is JsonObject query && (string?)query["expr"] is { } expr)
                {
                    bool instant = query["instant"]?.GetValue<bool>() == true && query["range"]?.GetValue<bool>() != true;
                    queries.Add(new DashboardQuery(title, (string?)panel["title"] ?? "", (string?)query["refId"] ?? "", expr, instant));
                }
            }
        }

        return queries;
    }

    /// <summary>Every panel of a dashboard, those inside rows included (rows themselves excluded).</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var node in dashboard["panels"]?.AsArray() ?? [])
        {
            if (node is not JsonObject panel)
            {
                continue;
            }

            if ((string?)panel["type"] == "row")
            {
                foreach (var inner in panel["panels"]?.AsArray().OfType<JsonObject>() ?? [])
                {
                    yield return inner;
                }
            }
            else
            {
                yield return panel;
            }
        }
    }

    /// <summary>
    /// The series selectors of the dashboard's query variables: <c>label_values(target_info{namespace=~"$namespace"}, job)</c>
    /// gives <c>target_info{namespace=~"$namespace"}</c>, itself a PromQL query that must return series.
    /// </summary>
    public static IReadOnlyList<string> ExtractVariableSelectors(string dashboardJson) =>
        ExtractVariables(dashboardJson).Select(variable => variable.Selector).ToList();

    /// <summary>The dashboard's query variables (<c>label_values(selector, label)</c>), in the order Grafana resolves them.</summary>
    public static IReadOnlyList<DashboardVariable> ExtractVariables(string dashboardJson)
    {
        var dashboard = JsonNode.Parse(dashboardJson)?.AsObject() ?? throw new ArgumentException("not a JSON object", nameof(dashboardJson));
        string title = (string?)dashboard["title"] ?? "";
        var variables = new List<DashboardVariable>();
        foreach (var variable in dashboard["templating"]?["list"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            if ((string?)variable["type"] != "query")
            {
                continue;
            }

            string? definition = variable["query"] is JsonObject query ? (string?)query["query"] : (string?)variable["query"];
            if (definition is not null && LabelValues().Match(definition) is { Success: true } match)
            {
                variables.Add(new DashboardVariable(title, (string?)variable["name"] ?? "", match.Groups["selector"].Value.Trim(), match.Groups["label"].Value));
            }
        }

        return variables;
    }

    /// <summary>
    /// Replaces Grafana's variables (<c>$name</c>, <c>${name}</c>, <c>[[name]]</c>) with <paramref name="variables"/>,
    /// falling back to <see cref="DefaultVariables"/>; an unknown variable is an error.
    /// </summary>
    public static string Resolve(string expr, IReadOnlyDictionary<string, string>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(expr);
        return Variable().Replace(expr, match =>
        {
            string name = match.Groups["a"].Success ? match.Groups["a"].Value
                : match.Groups["b"].Success ? match.Groups["b"].Value
                : match.Groups["c"].Value;
            if (variables is not null && variables.TryGetValue(name, out var value))
            {
                return value;
            }

            return DefaultVariables.TryGetValue(name, out var fallback)
                ? fallback
                : throw new ArgumentException($"no value for the Grafana variable '{name}' in: {expr}", nameof(variables));
        });
    }

    /// <summary>The metric names a PromQL expression selects (identifiers followed by a label matcher or a range).</summary>
    public static IReadOnlyList<string> MetricNames(string expr) =>
        MetricSelector().Matches(expr).Select(match => match.Groups["name"].Value).Distinct(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"\$\{(?<a>[A-Za-z_][A-Za-z0-9_]*)(:[^}]*)?\}|\[\[(?<c>[A-Za-z_][A-Za-z0-9_]*)\]\]|\$(?<b>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();

    static string FindDefaultFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string dashboards = Path.Combine(folder.FullName, "charts", "semanticmim", "dashboards");
            if (Directory.Exists(dashboards))
            {
                return dashboards;
            }
        }

        throw new DirectoryNotFoundException($"no charts/semanticmim/dashboards above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?<selector>.+),\s*(?<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"(?<![A-Za-z0-9_:$""])(?<name>[A-Za-z_:][A-Za-z0-9_:]*)\s*(\{|\[)")]
    private static partial Regex MetricSelector();
}
