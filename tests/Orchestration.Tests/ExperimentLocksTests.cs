namespace SemanticMIM.Orchestration.Tests;

public sealed class ExperimentLocksTests
{
    [Fact]
    public async Task One_experiment_is_handled_one_at_a_time_and_its_entry_goes_once_nobody_holds_it()
    {
        var locks = new ExperimentLocks();
        var id = Guid.NewGuid();
        int inside = 0, most = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using (await locks.AcquireAsync(id, CancellationToken.None))
            {
                most = Math.Max(most, Interlocked.Increment(ref inside));
                await Task.Delay(5);
                Interlocked.Decrement(ref inside);
            }
        }));

        Assert.Equal(1, most);
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task Different_experiments_do_not_wait_for_each_other_and_a_cancelled_wait_leaves_no_entry()
    {
        var locks = new ExperimentLocks();
        var first = Guid.NewGuid();
        using var held = await locks.AcquireAsync(first, CancellationToken.None);

        using (await locks.AcquireAsync(Guid.NewGuid(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.Equal(2, locks.Count);
        }
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => locks.AcquireAsync(first, cancel.Token));

        Assert.Equal(1, locks.Count);
        held.Dispose();
        Assert.Equal(0, locks.Count);
    }
}
