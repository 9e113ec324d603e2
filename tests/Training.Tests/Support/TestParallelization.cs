// Training draws from torch's process-wide generator and the memory test counts live tensors, so tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
