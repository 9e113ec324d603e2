using System.Net;
using System.Text;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>
/// Stands in for NVIDIA's DCGM exporter, which needs a GPU: serves on loopback the two gauges the experiment dashboard
/// reads, in the exporter's text format and with its label set (gpu, UUID, device, modelName, Hostname and, in its
/// Kubernetes mode, the namespace, pod and container using the GPU). One GPU belongs to <paramref name="trainerPod"/>,
/// a second to a pod of another workload that the dashboard's join must leave out.
/// </summary>
public sealed class FakeDcgmExporter : IDisposable
{
    public const double Utilisation = 87;
    public const double MemoryUsedMiB = 40960;

    private readonly HttpListener _listener = new();
    private readonly string _body;
    private readonly Task _serving;

    public FakeDcgmExporter(string @namespace, string trainerPod)
    {
        Port = InfrastructureScript.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        string Gpu(int index, string pod) =>
            $"gpu=\"{index}\",UUID=\"GPU-00000000-0000-0000-0000-00000000000{index}\",device=\"nvidia{index}\",modelName=\"NVIDIA H200\"," +
            $"Hostname=\"gpu-node-1\",container=\"trainer\",namespace=\"{@namespace}\",pod=\"{pod}\"";
        _body = new StringBuilder()
            .AppendLine("# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).")
            .AppendLine("# TYPE DCGM_FI_DEV_GPU_UTIL gauge")
            .AppendLine($"DCGM_FI_DEV_GPU_UTIL{{{Gpu(0, trainerPod)}}} {Utilisation}")
            .AppendLine($"DCGM_FI_DEV_GPU_UTIL{{{Gpu(1, "another-workload-0")}}} 5")
            .AppendLine("# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).")
            .AppendLine("# TYPE DCGM_FI_DEV_FB_USED gauge")
            .AppendLine($"DCGM_FI_DEV_FB_USED{{{Gpu(0, trainerPod)}}} {MemoryUsedMiB}")
            .AppendLine($"DCGM_FI_DEV_FB_USED{{{Gpu(1, "another-workload-0")}}} 1024")
            .ToString();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    private async Task ServeAsync()
    {
        byte[] body = Encoding.UTF8.GetBytes(_body);
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            context.Response.ContentType = "text/plain; version=0.0.4";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}
