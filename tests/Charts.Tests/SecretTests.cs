using System.Text.RegularExpressions;
using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>Credentials appear in Secrets only, and every container takes them from a Secret.</summary>
public sealed partial class SecretTests
{
    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task NoSecretValueAppearsOutsideASecret(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        // With existingSecrets only, the chart renders no Secret at all.
        Assert.Equal(valuesFile == RenderMatrix.External, !chart.All<V1Secret>().Any());
        AssertSecretsStayInSecrets(chart);
    }

    [Fact]
    public async Task CredentialsGivenAsValuesLandInSecretsOnly()
    {
        var chart = await Chart.RenderAsync(null,
            "--set", "rabbitmq.auth.password=Broker-Pass-4711",
            "--set", "rabbitmq.users.shard.password=Shard-Pass-4712",
            "--set", "minio.auth.rootUser=store-admin-user",
            "--set", "minio.auth.rootPassword=Store-Pass-0815-x",
            "--set", "storage.credentials.target.accessKey=target-access",
            "--set", "storage.credentials.target.secretKey=Target-Secret-99");

        var values = chart.SecretValues;
        Assert.Equal("Broker-Pass-4711", values[$"{RenderedChart.FullName("rabbitmq")}/rabbitmq-password"]);
        Assert.Equal($"amqp://semanticmim-shard:Shard-Pass-4712@{RenderedChart.FullName("rabbitmq")}:5672/", values[$"{RenderedChart.FullName("broker-shard")}/rabbitmq-uri"]);
        Assert.Equal("store-admin-user", values[$"{RenderedChart.FullName("minio")}/root-user"]);
        Assert.Equal("Target-Secret-99", values[$"{RenderedChart.FullName("s3-target")}/secret-key"]);
        AssertSecretsStayInSecrets(chart);
    }

    [Fact]
    public async Task AnExternalBrokerUriGivenAsAValueLandsInASecretOnly()
    {
        var chart = await Chart.RenderAsync(null,
            [
                "--set", "rabbitmq.enabled=false",
                "--set", "minio.enabled=false",
                "--set", "externalS3.endpoint=https://s3.example.org",
                "--set", "networkPolicy.egress.broker.cidrs={10.1.0.0/24}",
                "--set", "networkPolicy.egress.store.cidrs={10.2.0.0/24}",
                .. RenderMatrix.Workloads.SelectMany(role => new[]
                {
                    "--set", $"externalRabbitmq.{role}.uri=amqps://{role}:Ext-Pass-{role}@rabbitmq.example.org:5671/mim",
                    "--set", $"storage.credentials.{role}.accessKey=AKIA{role.ToUpperInvariant()}",
                    "--set", $"storage.credentials.{role}.secretKey=Example-Secret-{role}",
                }),
            ]);

        foreach (var role in RenderMatrix.Workloads)
        {
            Assert.Equal($"amqps://{role}:Ext-Pass-{role}@rabbitmq.example.org:5671/mim", chart.SecretValues[$"{RenderedChart.FullName($"broker-{role}")}/rabbitmq-uri"]);
            Assert.Equal($"Example-Secret-{role}", chart.SecretValues[$"{RenderedChart.FullName($"s3-{role}")}/secret-key"]);
        }

        // No submitter URI was given, so there is no submitter Secret; nothing of the bundled broker either.
        Assert.DoesNotContain(chart.All<V1Secret>(), secret => secret.Metadata.Name.EndsWith("-submitter", StringComparison.Ordinal) || secret.Metadata.Name.Contains("rabbitmq", StringComparison.Ordinal));
        AssertSecretsStayInSecrets(chart);
    }

    [Fact]
    public async Task TheBundledBrokerAndStoreCanTakeTheirAdministratorsFromExistingSecrets()
    {
        var chart = await Chart.RenderAsync(null,
            "--set", "rabbitmq.auth.existingSecret=mim-broker-auth",
            "--set", "minio.auth.existingSecret=mim-store-auth",
            "--set", "minio.auth.existingSecretUserKey=user",
            "--set", "minio.auth.existingSecretPasswordKey=password");

        // The role users' Secrets and the broker's definitions remain; the administrators' are the operator's.
        Assert.Equal(
            RenderMatrix.BrokerRoles.Select(role => RenderedChart.FullName($"broker-{role}")).Append(RenderedChart.FullName("rabbitmq-definitions")).Order(),
            chart.All<V1Secret>().Select(secret => secret.Metadata.Name).Order());
        var broker = Assert.Single(chart.Named<V1StatefulSet>(RenderedChart.FullName("rabbitmq")).Spec.Template.Spec.Containers);
        var password = broker.Env.Single(e => e.Name == "RABBITMQ_DEFAULT_PASS").ValueFrom.SecretKeyRef;
        Assert.Equal(("mim-broker-auth", "rabbitmq-password"), (password.Name, password.Key));
        var store = Assert.Single(chart.Named<V1StatefulSet>(RenderedChart.FullName("minio")).Spec.Template.Spec.Containers);
        var rootUser = store.Env.Single(e => e.Name == "MINIO_ROOT_USER").ValueFrom.SecretKeyRef;
        Assert.Equal(("mim-store-auth", "user"), (rootUser.Name, rootUser.Key));
        foreach (var pod in chart.PodTemplates.Where(pod => pod.Component is "orchestrator" or "trainer"))
        {
            var env = Assert.Single(pod.Template.Spec.Containers).Env.ToDictionary(e => e.Name);
            Assert.Equal((RenderedChart.FullName($"broker-{pod.Component}"), "rabbitmq-uri"), (env["Bus__RabbitMq"].ValueFrom.SecretKeyRef.Name, env["Bus__RabbitMq"].ValueFrom.SecretKeyRef.Key));
            // Roles without an S3 credential of their own fall back to MinIO's root user.
            Assert.Equal(("mim-store-auth", "password"), (env["Storage__SecretKey"].ValueFrom.SecretKeyRef.Name, env["Storage__SecretKey"].ValueFrom.SecretKeyRef.Key));
        }
    }

    [Fact]
    public async Task GeneratedCredentialsAreLongAndKeptOnUninstall()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Defaults);

        // The definitions are derived from the role Secrets on every upgrade; everything else is kept.
        foreach (var secret in chart.All<V1Secret>().Where(secret => secret.Metadata.Name != RenderedChart.FullName("rabbitmq-definitions")))
        {
            Assert.Equal("keep", secret.Metadata.Annotations["helm.sh/resource-policy"]);
        }

        var values = chart.SecretValues;
        Assert.Matches("^[A-Za-z0-9]{24}$", values[$"{RenderedChart.FullName("rabbitmq")}/rabbitmq-password"]);
        Assert.Matches("^[A-Za-z0-9]{16}$", values[$"{RenderedChart.FullName("minio")}/root-user"]);
        Assert.Matches("^[A-Za-z0-9]{32}$", values[$"{RenderedChart.FullName("minio")}/root-password"]);
        var passwords = RenderMatrix.BrokerRoles.Select(role => values[$"{RenderedChart.FullName($"broker-{role}")}/rabbitmq-password"]).ToList();
        Assert.All(passwords, password => Assert.Matches("^[A-Za-z0-9]{24}$", password));
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
        string shard = values[$"{RenderedChart.FullName("broker-shard")}/rabbitmq-password"];
        Assert.Equal($"amqp://semanticmim-shard:{shard}@{RenderedChart.FullName("rabbitmq")}:5672/", values[$"{RenderedChart.FullName("broker-shard")}/rabbitmq-uri"]);
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task CredentialVariablesComeFromSecretsThatExist(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var rendered = chart.All<V1Secret>().ToDictionary(secret => secret.Metadata.Name, secret => (ICollection<string>)(secret.Data?.Keys ?? []).ToList());
        foreach (var (name, keys) in RenderMatrix.ExistingSecrets(valuesFile))
        {
            Assert.False(rendered.ContainsKey(name), $"the chart renders the existing Secret {name}");
            rendered[name] = keys;
        }

        var referenced = new HashSet<string>();
        foreach (var pod in chart.PodTemplates)
        {
            foreach (var variable in pod.Template.Spec.Containers.SelectMany(container => container.Env ?? []))
            {
                string where = $"{pod}: {variable.Name}";
                if (CredentialName().IsMatch(variable.Name))
                {
                    Assert.True(variable.Value is null, $"{where} has a literal value");
                    Assert.True(variable.ValueFrom?.SecretKeyRef is not null, $"{where} does not come from a Secret");
                }

                if (variable.ValueFrom?.SecretKeyRef is { } reference)
                {
                    Assert.True(rendered.TryGetValue(reference.Name, out var keys), $"{where} reads the Secret {reference.Name}, which is neither rendered nor an existingSecret");
                    Assert.Contains(reference.Key, keys);
                    referenced.Add($"{reference.Name}/{reference.Key}");
                }
            }

            foreach (var volume in (pod.Template.Spec.Volumes ?? []).Where(volume => volume.Secret is not null))
            {
                Assert.True(rendered.TryGetValue(volume.Secret.SecretName, out var keys), $"{pod} mounts the Secret {volume.Secret.SecretName}, which is not rendered");
                referenced.UnionWith(keys.Select(key => $"{volume.Secret.SecretName}/{key}"));
            }
        }

        // Every key of every Secret is used by something, but for what people use: the bundled broker's role
        // passwords (their URIs are used; the definitions hold the passwords) and the submitter's URI.
        var forPeople = rendered.Keys.Where(name => name.StartsWith(RenderedChart.FullName("broker-"), StringComparison.Ordinal))
            .SelectMany(name => new[] { $"{name}/rabbitmq-password" }.Concat(name.EndsWith("-submitter", StringComparison.Ordinal) ? [$"{name}/rabbitmq-uri"] : []));
        Assert.Equal(rendered.SelectMany(pair => pair.Value.Select(key => $"{pair.Key}/{key}")).Except(forPeople).Order(), referenced.Order());
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task ServicesAndJobsGetThePlatformsConfiguration(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        bool external = valuesFile == RenderMatrix.External;

        foreach (var pod in chart.PodTemplates.Where(pod => RenderMatrix.Workloads.Contains(pod.Component)))
        {
            var env = Assert.Single(pod.Template.Spec.Containers).Env.ToDictionary(variable => variable.Name);
            Assert.Equal("rabbitmq", env["Bus__Transport"].Value);
            Assert.Equal("s3", env["Storage__Kind"].Value);
            // The key names an existingSecret was given with (LeastPrivilegeTests checks the Secrets' names).
            var keys = (env["Storage__AccessKey"].ValueFrom.SecretKeyRef.Key, env["Storage__SecretKey"].ValueFrom.SecretKeyRef.Key);
            bool renamedKeys = external || (valuesFile == RenderMatrix.LeastPrivilege && pod.Component == "trainer");
            if (renamedKeys)
            {
                Assert.Equal(("id", "key"), keys);
            }
            Assert.Equal(external ? "uri" : "rabbitmq-uri", env["Bus__RabbitMq"].ValueFrom.SecretKeyRef.Key);
            if (external)
            {
                Assert.Equal("https://s3.eu-west-1.amazonaws.com", env["Storage__Endpoint"].Value);
                Assert.Equal("mim-experiments", env["Storage__Bucket"].Value);
                Assert.Equal("team-a", env["Storage__KeyPrefix"].Value);
                Assert.Equal("4", env["Bus__Prefetch"].Value);
                Assert.Equal("00:05:00", env["Bus__StartTimeout"].Value);
                Assert.Equal("00:00:30", env["Retry__Intervals__1"].Value);
            }
            else
            {
                Assert.Equal($"http://{RenderedChart.FullName("minio")}:9000", env["Storage__Endpoint"].Value);
                Assert.False(env.ContainsKey("Bus__Prefetch"));
            }
        }
    }

    static void AssertSecretsStayInSecrets(RenderedChart chart)
    {
        var secrets = chart.SecretValues.Where(pair => pair.Value.Length >= 6).ToList();
        Assert.Equal(chart.SecretValues.Count, secrets.Count);
        foreach (var document in chart.Documents.Where(document => RenderedChart.DocumentKind(document) != "Secret"))
        {
            foreach (var (name, value) in secrets)
            {
                Assert.False(document.Contains(value, StringComparison.Ordinal), $"the value of {name} appears in:{Environment.NewLine}{document}");
            }

            // A URI with credentials, a private key: nothing of the kind outside a Secret.
            Assert.DoesNotMatch(UriWithCredentials(), document);
            Assert.DoesNotContain("PRIVATE KEY", document, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"(?i)(password|passwd|_pass$|secret|token|credential|access_?key|rabbitmq$)")]
    private static partial Regex CredentialName();

    [GeneratedRegex(@"[a-z][a-z0-9+.-]*://[^/\s:@""']+:[^/\s@""']+@")]
    private static partial Regex UriWithCredentials();
}
