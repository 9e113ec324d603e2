global using TorchSharp.Utils;
global using TorchSharp;
