using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>The answer to one PromQL query: its series (labels and values), from an instant or a range query.</summary>
public sealed record PromQlResult(string ResultType, IReadOnlyList<PromQlSeries> Series)
{
    /// <summary>Whether any series has a value that is a number (not NaN, not ±Inf): what a panel can draw.</summary>
    public bool HasFiniteValue => Series.Any(series => series.Values.Any(double.IsFinite));

    public override string ToString() => Series.Count == 0
        ? "no series"
        : $"{Series.Count} series ({string.Join("; ", Series.Take(3))}{(Series.Count > 3 ? "; …" : "")})";
}

public sealed record PromQlSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<double> Values)
{
    public override string ToString() =>
        $"{{{string.Join(", ", Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} " +
        (Values.Count == 1 ? Values[0].ToString("G4", CultureInfo.InvariantCulture) : $"{Values.Count} points, last {Values[^1].ToString("G4", CultureInfo.InvariantCulture)}");
}

/// <summary>Prometheus' HTTP API (v1), as Grafana's Prometheus data source uses it: queries, ranges, label values, targets.</summary>
public sealed class PrometheusApi(Uri address) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

    public Uri Address => address;

    /// <summary>An instant query at <paramref name="time"/> (now when null), as Grafana runs tables and stats.</summary>
    public Task<PromQlResult> QueryAsync(string query, DateTimeOffset? time = null)
    {
        var form = new Dictionary<string, string> { ["query"] = query };
        if (time is { } at)
        {
            form["time"] = Seconds(at);
        }
        return PostAsync("api/v1/query", form);
    }

    /// <summary>A range query, as Grafana runs time series panels.</summary>
    public Task<PromQlResult> QueryRangeAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step) =>
        PostAsync("api/v1/query_range", new Dictionary<string, string>
        {
            ["query"] = query,
            ["start"] = Seconds(start),
            ["end"] = Seconds(end),
            ["step"] = step.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>
    /// The values of <paramref name="label"/> on the series <paramref name="selector"/> selects between
    /// <paramref name="start"/> and <paramref name="end"/>: what a Grafana variable <c>label_values(selector, label)</c> offers.
    /// </summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string selector, DateTimeOffset start, DateTimeOffset end)
    {
        string query = $"api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(selector)}&start={Seconds(start)}&end={Seconds(end)}";
        var answer = await ReadAsync(await _http.GetAsync(query), $"label_values({selector}, {label})");
        return answer["data"]!.AsArray().Select(value => (string)value!).ToList();
    }

    /// <summary>Each scrape target's job, instance, health and last error (<c>/api/v1/targets</c>).</summary>
    public async Task<IReadOnlyList<(string Job, string Instance, string Health, string LastError)>> TargetsAsync()
    {
        var answer = await ReadAsync(await _http.GetAsync("api/v1/targets?state=active"), "targets");
        return answer["data"]!["activeTargets"]!.AsArray()
            .Select(target => ((string)target!["labels"]!["job"]!, (string)target["labels"]!["instance"]!, (string)target["health"]!, (string?)target["lastError"] ?? ""))
            .ToList();
    }

    /// <summary>Polls an instant query until it returns a series, within <paramref name="timeout"/>.</summary>
    public async Task<PromQlResult> WaitForSeriesAsync(string query, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var result = await QueryAsync(query);
            if (result.Series.Count > 0)
            {
                return result;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prometheus returned no series for {query} within {timeout.TotalSeconds:0} s; targets: " +
                    string.Join("; ", (await TargetsAsync()).Select(t => $"{t.Job} {t.Instance} {t.Health} {t.LastError}")));
            }
            await Task.Delay(250);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<PromQlResult> PostAsync(string path, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        var answer = await ReadAsync(await _http.PostAsync(path, content), form["query"]);
        var data = answer["data"]!;
        string type = (string)data["resultType"]!;
        var series = new List<PromQlSeries>();
        if (type is "scalar")
        {
            series.Add(new PromQlSeries(new Dictionary<string, string>(), [Number(data["result"]![1]!)]));
        }
        else
        {
            foreach (var item in data["result"]!.AsArray())
            {
                var labels = item!["metric"]!.AsObject().ToDictionary(l => l.Key, l => (string)l.Value!, StringComparer.Ordinal);
                var values = item["values"] is JsonArray points
                    ? points.Select(point => Number(point![1]!)).ToList()
                    : [Number(item["value"]![1]!)];
                series.Add(new PromQlSeries(labels, values));
            }
        }
        return new PromQlResult(type, series);
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string what)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            JsonNode? answer = null;
            try
            {
                answer = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
            }
            if (!response.IsSuccessStatusCode || answer is null || (string?)answer["status"] != "success")
            {
                throw new PromQlException($"Prometheus answered {(int)response.StatusCode} to {what}: {(string?)answer?["error"] ?? body}");
            }
            return answer;
        }
    }

    private static double Number(JsonNode value) => (string)value! switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text, CultureInfo.InvariantCulture),
    };

    private static string Seconds(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
}

/// <summary>Prometheus refused a query (a PromQL error, a bad request).</summary>
public sealed class PromQlException(string message) : Exception(message);
