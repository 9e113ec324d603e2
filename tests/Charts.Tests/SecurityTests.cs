using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>Every container of the release (services, jobs, broker, store) runs locked down.</summary>
public sealed class SecurityTests
{
    const long User = 10001;

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EveryPodAndContainerRunsAsNonRootWithAReadOnlyRootAndNoCapabilities(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        Assert.NotEmpty(chart.PodTemplates);
        foreach (var pod in chart.PodTemplates)
        {
            var podSecurity = pod.Template.Spec.SecurityContext;
            Assert.True(podSecurity is not null, $"{pod}: no pod securityContext");
            Assert.True(podSecurity.RunAsNonRoot, $"{pod}: pod runAsNonRoot");
            Assert.Equal(User, podSecurity.RunAsUser);
            Assert.Equal("RuntimeDefault", podSecurity.SeccompProfile?.Type);
            Assert.Equal(User, podSecurity.FsGroup);

            var containers = pod.Template.Spec.Containers.Concat(pod.Template.Spec.InitContainers ?? []).ToList();
            Assert.NotEmpty(containers);
            foreach (var container in containers)
            {
                string where = $"{pod} container {container.Name}";
                var security = container.SecurityContext;
                Assert.True(security is not null, $"{where}: no securityContext");
                Assert.True(security.RunAsNonRoot, $"{where}: runAsNonRoot");
                Assert.Equal(User, security.RunAsUser);
                Assert.True(security.ReadOnlyRootFilesystem, $"{where}: readOnlyRootFilesystem");
                Assert.False(security.AllowPrivilegeEscalation ?? true, $"{where}: allowPrivilegeEscalation");
                Assert.False(security.Privileged ?? false, $"{where}: privileged");
                Assert.Equal(["ALL"], security.Capabilities?.Drop ?? []);
                Assert.Empty(security.Capabilities?.Add ?? []);
                Assert.Equal("RuntimeDefault", security.SeccompProfile?.Type);
            }
        }
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task WritablePathsAreVolumes(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        foreach (var pod in chart.PodTemplates)
        {
            var volumes = pod.Template.Spec.Volumes.ToDictionary(volume => volume.Name);
            var container = Assert.Single(pod.Template.Spec.Containers);
            var mounts = container.VolumeMounts.ToDictionary(mount => mount.MountPath);
            Assert.True(mounts.ContainsKey("/tmp"), $"{pod}: /tmp is not a volume");
            Assert.NotNull(volumes[mounts["/tmp"].Name].EmptyDir);
            Assert.All(container.VolumeMounts, mount => Assert.True(volumes.ContainsKey(mount.Name) || IsClaim(pod, chart, mount.Name), $"{pod}: mount {mount.Name} has no volume"));
            if (pod.Component is "orchestrator" or "shard" or "target" or "trainer" or "evaluator")
            {
                Assert.NotNull(volumes[mounts["/cache"].Name].EmptyDir);
                Assert.Equal("/cache", Env(container, "Cache__Folder"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task OnlyTheOrchestratorGetsAnApiToken(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        string orchestratorAccount = RenderedChart.FullName("orchestrator");
        string workloadAccount = RenderedChart.FullName("workload");

        foreach (var pod in chart.PodTemplates)
        {
            if (pod.Component == "orchestrator")
            {
                Assert.True(pod.Template.Spec.AutomountServiceAccountToken, $"{pod} needs its token to launch jobs");
                Assert.Equal(orchestratorAccount, pod.Template.Spec.ServiceAccountName);
            }
            else
            {
                Assert.False(pod.Template.Spec.AutomountServiceAccountToken ?? true, $"{pod} mounts an API token");
                Assert.Equal(workloadAccount, pod.Template.Spec.ServiceAccountName);
            }
        }

        Assert.All(chart.All<V1ServiceAccount>(), account => Assert.False(account.AutomountServiceAccountToken ?? true, account.Metadata.Name));
        Assert.Equal([orchestratorAccount, workloadAccount], chart.All<V1ServiceAccount>().Select(a => a.Metadata.Name).Order());
    }

    static bool IsClaim(PodTemplate pod, RenderedChart chart, string name) =>
        chart.All<V1StatefulSet>().Any(set => set.Metadata.Name == pod.Name && (set.Spec.VolumeClaimTemplates ?? []).Any(claim => claim.Metadata.Name == name));

    internal static string? Env(V1Container container, string name) => container.Env?.SingleOrDefault(variable => variable.Name == name)?.Value;
}
