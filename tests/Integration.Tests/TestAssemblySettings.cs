// Every test drives the same broker, store and CPU-bound service processes: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
