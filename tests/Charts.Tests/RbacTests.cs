using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>The orchestrator's API access is exactly what launching jobs and electing a leader needs, and no more.</summary>
public sealed class RbacTests
{
    /// <summary>(API group, resource) → the verbs the issue allows.</summary>
    static readonly Dictionary<(string Group, string Resource), string[]> Allowed = new()
    {
        [("batch", "jobs")] = ["create", "get", "list", "watch", "delete"],
        [("", "pods")] = ["get", "list", "watch"],
        [("", "pods/log")] = ["get", "list", "watch"],
        [("coordination.k8s.io", "leases")] = ["get", "create", "update"],
    };

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task TheRoleGrantsNothingBeyondJobsPodsLogsAndLeases(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        Assert.Empty(chart.All<V1ClusterRole>());
        Assert.Empty(chart.All<V1ClusterRoleBinding>());
        var role = Assert.Single(chart.All<V1Role>());
        Assert.Equal(Chart.Namespace, role.Metadata.NamespaceProperty);
        var granted = new HashSet<(string, string, string)>();
        foreach (var rule in role.Rules)
        {
            Assert.Empty(rule.NonResourceURLs ?? []);
            foreach (var group in rule.ApiGroups)
            {
                foreach (var resource in rule.Resources)
                {
                    Assert.True(Allowed.TryGetValue((group, resource), out var verbs), $"the Role grants access to '{group}/{resource}'");
                    foreach (var verb in rule.Verbs)
                    {
                        Assert.Contains(verb, verbs);
                        granted.Add((group, resource, verb));
                    }
                }
            }
        }

        // ...and everything the launcher and the leader election need is there.
        var needed = Allowed.SelectMany(pair => pair.Value.Select(verb => (pair.Key.Group, pair.Key.Resource, verb)));
        Assert.All(needed, permission => Assert.Contains(permission, granted));
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task TheLeaseCanOnlyBeReadAndRenewedByItsNameWhichTheOrchestratorIsGiven(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var role = Assert.Single(chart.All<V1Role>());
        var orchestrator = Assert.Single(chart.Named<V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Template.Spec.Containers);

        string? leaseName = SecurityTests.Env(orchestrator, "LeaderElection__LeaseName");
        Assert.False(string.IsNullOrEmpty(leaseName));
        foreach (var rule in role.Rules.Where(rule => rule.Resources.Contains("leases")))
        {
            if (rule.Verbs.Any(verb => verb is "get" or "update"))
            {
                Assert.Equal([leaseName], rule.ResourceNames);
            }
        }

        Assert.Equal("metadata.namespace", orchestrator.Env.Single(e => e.Name == "LeaderElection__Namespace").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.name", orchestrator.Env.Single(e => e.Name == "LeaderElection__Identity").ValueFrom.FieldRef.FieldPath);
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task TheRoleIsBoundToTheOrchestratorsAccountOnly(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var role = Assert.Single(chart.All<V1Role>());
        var binding = Assert.Single(chart.All<V1RoleBinding>());

        Assert.Equal("Role", binding.RoleRef.Kind);
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal("ServiceAccount", subject.Kind);
        Assert.Equal(RenderedChart.FullName("orchestrator"), subject.Name);
        Assert.Equal(Chart.Namespace, subject.NamespaceProperty);
        Assert.Equal(subject.Name, chart.Named<V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Template.Spec.ServiceAccountName);
    }
}
