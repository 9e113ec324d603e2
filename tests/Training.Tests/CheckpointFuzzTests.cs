using System.Text;
using System.Text.Json.Nodes;
using SemanticMIM.Training.Tests.Support;

namespace SemanticMIM.Training.Tests;

/// <summary>
/// Damaged checkpoints: their manifests, training states and weights fuzzed with a seed. A checkpoint is either resumed
/// or refused with an <see cref="InvalidDataException"/> that says what is wrong; manifests that do not match their
/// files are never resumed from, and files re-committed under a matching manifest are still checked by their readers.
/// </summary>
public sealed class CheckpointFuzzTests
{
    private static readonly string[] Lies = ["null", "-1", "0", "2147483648", "\"x\"", "\"../../etc/passwd\"", "\"a\\u0000b\"", "[]", "{}", "[null]", "1e400", "true"];

    [Fact]
    public void Damaged_checkpoints_are_resumed_or_refused_with_an_invalid_data_error()
    {
        using var data = TinySetup.Data();
        using var root = new TempDirectory();
        using (var engine = PretrainingEngine.Start(TinySetup.Model(), TinySetup.Training(steps: 3), data.Source(), root.Path))
        {
            engine.Run();
        }
        string valid = CheckpointDirectory.LatestCheckpoint(root.Path)!;
        string[] files = [CheckpointManifest.FileName, TrainingState.FileName, PretrainingEngine.ModelFileName, PretrainingEngine.OptimizerFileName];
        var random = new Random(41);
        var failures = new List<string>();
        int resumed = 0, refused = 0;
        for (int i = 0; i < 200; i++)
        {
            string folder = Path.Combine(root.Path, $"case-{i}", CheckpointDirectory.FolderName(3));
            Directory.CreateDirectory(folder);
            foreach (var file in Directory.GetFiles(valid))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }
            string target = files[random.Next(files.Length)];
            Damage(Path.Combine(folder, target), random);
            // Half the damaged weights and states are committed again under a matching manifest, as a bug or a hand edit
            // would leave them: then the readers behind the manifest must refuse them themselves.
            if (target is TrainingState.FileName or PretrainingEngine.ModelFileName && random.Next(2) == 0)
            {
                File.Delete(Path.Combine(folder, CheckpointManifest.FileName));
                CheckpointManifest.Describe(folder, 3).WriteTo(folder);
            }
            try
            {
                using var engine = PretrainingEngine.Resume(folder, data.Source());
                resumed++;
            }
            catch (InvalidDataException error) when (error.Message.Length > 0)
            {
                refused++;
            }
            catch (Exception error)
            {
                failures.Add($"case {i} ({target}): {error.GetType().Name}: {error.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
        Assert.True(refused > 150, $"{refused} refused, {resumed} resumed");
    }

    [Fact]
    public void A_manifest_for_another_step_or_naming_a_file_outside_its_folder_is_not_a_checkpoint()
    {
        using var data = TinySetup.Data();
        using var root = new TempDirectory();
        using (var engine = PretrainingEngine.Start(TinySetup.Model(), TinySetup.Training(steps: 3), data.Source(), root.Path))
        {
            engine.Run();
        }
        string folder = CheckpointDirectory.LatestCheckpoint(root.Path)!;
        string manifest = Path.Combine(folder, CheckpointManifest.FileName);
        string original = File.ReadAllText(manifest);

        File.WriteAllText(manifest, original.Replace("\"step\": 3", "\"step\": 7", StringComparison.Ordinal));
        Assert.Equal("manifest.json is for step 7, the folder for step 3", CheckpointManifest.Check(folder).Problem);

        File.WriteAllText(manifest, original.Replace("\"name\": \"model.safetensors\"", "\"name\": \"../model.safetensors\"", StringComparison.Ordinal));
        Assert.Equal("manifest.json names an invalid file '../model.safetensors'", CheckpointManifest.Check(folder).Problem);

        File.WriteAllText(manifest, original.Replace("\"files\": [", "\"files\": [null,", StringComparison.Ordinal));
        Assert.Equal("manifest.json names an invalid file ''", CheckpointManifest.Check(folder).Problem);
    }

    [Fact]
    public void A_generator_state_of_the_wrong_length_is_refused_before_libtorch_sees_it()
    {
        using var data = TinySetup.Data();
        using var root = new TempDirectory();
        using (var engine = PretrainingEngine.Start(TinySetup.Model(), TinySetup.Training(steps: 3), data.Source(), root.Path))
        {
            engine.Run();
        }
        string folder = CheckpointDirectory.LatestCheckpoint(root.Path)!;
        string statePath = Path.Combine(folder, TrainingState.FileName);
        var state = JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        state["MaskGeneratorState"] = Convert.ToBase64String(new byte[16]);
        File.WriteAllText(statePath, state.ToJsonString());
        File.Delete(Path.Combine(folder, CheckpointManifest.FileName));
        CheckpointManifest.Describe(folder, 3).WriteTo(folder);

        var error = Assert.Throws<InvalidDataException>(() => PretrainingEngine.Resume(folder, data.Source()));

        Assert.True(error.Message.Contains("the mask generator state has 16 bytes", StringComparison.Ordinal), error.Message);
    }

    private static void Damage(string path, Random random)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (path.EndsWith(".json", StringComparison.Ordinal) && random.Next(2) == 0 && JsonNode.Parse(bytes) is JsonObject json)
        {
            // A structural lie: one value replaced by another type or an extreme.
            var keys = json.Select(p => p.Key).ToList();
            string key = keys[random.Next(keys.Count)];
            if (json[key] is JsonArray { Count: > 0 } array && array[0] is JsonObject item && random.Next(2) == 0)
            {
                var itemKeys = item.Select(p => p.Key).ToList();
                item[itemKeys[random.Next(itemKeys.Count)]] = JsonNode.Parse(Lies[random.Next(Lies.Length)]);
            }
            else
            {
                json[key] = JsonNode.Parse(Lies[random.Next(Lies.Length)]);
            }
            File.WriteAllText(path, json.ToJsonString());
            return;
        }
        switch (random.Next(3))
        {
            case 0:
                bytes = bytes[..random.Next(bytes.Length)];
                break;
            case 1:
                for (int flips = 0; flips < 1 + random.Next(8); flips++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                break;
            default:
                bytes = [.. bytes, .. Encoding.ASCII.GetBytes("garbage")];
                break;
        }
        File.WriteAllBytes(path, bytes);
    }
}
