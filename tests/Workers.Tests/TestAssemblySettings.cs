// Pretraining seeds torch's global generator: tests that train must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
