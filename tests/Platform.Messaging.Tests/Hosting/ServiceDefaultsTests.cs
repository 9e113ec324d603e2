using System.Net;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Platform.Messaging.Tests.Hosting;

[Collection(RabbitMqCollection.Name)]
public sealed class ServiceDefaultsTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task AServiceAnswersHealthAndMetricsOnTheConfiguredAddress()
    {
        // An earlier host of the same process, gone before this one starts, must not take MassTransit's metrics with it.
        await (await TestBus.StartAsync(TestBus.InMemory(), x => x.AddConsumer<AcceptingConsumer>())).StopAsync();

        var port = InfrastructureScript.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        var settings = broker.BusConfiguration();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults("service-defaults-test");
        var received = new Received<StartExperiment>();
        builder.Services.AddSingleton(received);
        var endpoint = "service-defaults-" + Guid.NewGuid().ToString("N")[..8];
        builder.Services.AddSemanticMimBus(builder.Configuration,
            x => x.AddConsumer<RecordingStartExperimentConsumer>().Endpoint(e => e.Name = endpoint));

        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        using (var timeout = new CancellationTokenSource(TestBus.Timeout))
        {
            await app.StartAsync(timeout.Token);
        }

        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

            var live = await http.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Contains("\"self\"", await live.Content.ReadAsStringAsync());

            // The bus is started before the server listens (WaitUntilStarted), so ready answers 200 at once.
            var ready = await http.GetAsync("/health/ready");
            var readyBody = await ready.Content.ReadAsStringAsync();
            Assert.True(ready.StatusCode == HttpStatusCode.OK, readyBody);
            Assert.Contains("masstransit-bus", readyBody);

            var metrics = app.Services.GetRequiredService<SemanticMimMetrics>();
            metrics.RecordTrainingStep("x", step: 120, loss: 2.5, learningRate: 1.5e-4, imagesPerSecond: 512);
            metrics.RecordDataWait("x", 0.125);
            metrics.RecordCheckpoint("x", TimeSpan.FromSeconds(1.5));
            metrics.UnitCompleted(Stages.Shard, "x");
            metrics.UnitFailed(Stages.Targets, "x");
            metrics.RecordSamplesWritten(Stages.Shard, "x", written: 1000, skipped: 2);
            metrics.RecordEvaluation("x", "linear-probe", "pretrained", "mean-pool", "12", "top1", 0.71);

            var id = Guid.NewGuid();
            await app.Services.GetRequiredService<IBus>().Publish(new StartExperiment { ExperimentId = id, SpecYaml = "name: metrics" });
            await received.WaitAsync(m => m.ExperimentId == id);

            string text = "";
            var complete = await TestBus.EventuallyAsync(async () =>
            {
                text = await http.GetStringAsync("/metrics");
                // MassTransit's counters carry the unit "ea" (each), which the exporter appends to their names.
                return Regex.IsMatch(text, @"^messaging_masstransit_consume_ea_total\{", RegexOptions.Multiline);
            });
            Assert.True(complete, text);

            Assert.Matches(Series("semanticmim_training_loss", "experiment=\"x\"", "2.5"), text);
            Assert.Matches(Series("semanticmim_training_step", "experiment=\"x\"", "120"), text);
            Assert.Matches(Series("semanticmim_training_learning_rate", "experiment=\"x\"", "0.00015"), text);
            Assert.Matches(Series("semanticmim_training_images_per_second", "experiment=\"x\"", "512"), text);
            Assert.Matches(Series("semanticmim_training_data_wait_ratio", "experiment=\"x\"", "0.125"), text);
            Assert.Matches(Series("semanticmim_checkpoint_duration_seconds_count", "experiment=\"x\"", "1"), text);
            Assert.Matches(Series("semanticmim_units_completed_total", "stage=\"shard\"", "1"), text);
            Assert.Matches(Series("semanticmim_units_failed_total", "stage=\"targets\"", "1"), text);
            Assert.Matches(Series("semanticmim_samples_written_total", "stage=\"shard\"", "1000"), text);
            Assert.Matches(Series("semanticmim_samples_skipped_total", "stage=\"shard\"", "2"), text);
            Assert.Matches(Series("semanticmim_evaluation_result", "metric=\"top1\"", "0.71"), text);
            Assert.Matches(Series("messaging_masstransit_consume_ea_total", $"messaging_masstransit_destination=\"{endpoint}\"", "1"), text);
            Assert.Matches(@"(?m)^dotnet_gc_collections_total\{", text);
            Assert.Matches(@"(?m)^http_server_request_duration_seconds_count\{", text);
            Assert.Matches(@"(?m)^target_info\{.*service_name=""service-defaults-test""", text);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TestBus.Timeout);
            await app.StopAsync(timeout.Token);
        }
    }

    /// <summary>A Prometheus sample line of <paramref name="name"/> with <paramref name="label"/> among its labels and the value <paramref name="value"/>.</summary>
    static string Series(string name, string label, string value) =>
        $@"(?m)^{Regex.Escape(name)}\{{[^}}]*{Regex.Escape(label)}[^}}]*\}} {Regex.Escape(value)}( |$)";
}
