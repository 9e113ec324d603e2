namespace SemanticMIM.Workers.Tests;

/// <summary>The embedded platform on a fresh run folder, with every event it publishes recorded for the test.</summary>
internal sealed class RecordedPipeline : IAsyncDisposable
{
    private readonly TempDirectory _folder;
    private readonly List<object> _events = [];

    private RecordedPipeline(TempDirectory folder, EmbeddedPipeline pipeline)
    {
        _folder = folder;
        Pipeline = pipeline;
        pipeline.Events.Subscribe(message =>
        {
            lock (_events)
            {
                _events.Add(message);
            }
        });
    }

    public EmbeddedPipeline Pipeline { get; }

    /// <summary>The run folder (the embedded object store).</summary>
    public string Folder => _folder.Path;

    /// <param name="settings">Configuration the services read (see <see cref="EmbeddedPipeline.StartAsync"/>).</param>
    public static async Task<RecordedPipeline> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var folder = new TempDirectory();
        return new RecordedPipeline(folder, await EmbeddedPipeline.StartAsync(folder.Path, settings));
    }

    /// <summary>The events of type <typeparamref name="T"/> of experiment <paramref name="id"/> so far, in order.</summary>
    public List<T> Events<T>(Guid id)
    {
        lock (_events)
        {
            return _events.OfType<T>().Where(e => (Guid)typeof(T).GetProperty("ExperimentId")!.GetValue(e)! == id).ToList();
        }
    }

    public async Task<T> WaitForAsync<T>(Guid id, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            if (Events<T>(id).FirstOrDefault() is { } found)
            {
                return found;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"no {typeof(T).Name} for {id} within {patience}");
    }

    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync();
        _folder.Dispose();
    }
}
