// The encoders' initialisation draws from TorchSharp's global generator: serial tests keep every run identical.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
