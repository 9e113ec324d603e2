using System.Globalization;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Planning.Validation;

namespace SemanticMIM.Planning;

/// <summary>A validated spec resolved into what each stage needs: data, targets, model and training recipe.</summary>
public sealed record ExperimentPlan
{
    public required ExperimentSpec Spec { get; init; }

    public required DatasetPlan Dataset { get; init; }

    public required TargetPlan Targets { get; init; }

    public required MimModelConfig Model { get; init; }

    public string Id => Spec.Name;

    /// <summary>
    /// Fingerprints what shapes the pretrained encoder (its data, targets, model and every training setting that changes
    /// the weights), not the experiment's name nor its evaluations: runs whose ids agree pretrain the same encoder.
    /// </summary>
    public string PretrainingId
    {
        get
        {
            var t = Spec.Training;
            var e = Model.Encoder;
            return $"pretrain-{ContentHash.Of(Dataset.Id, Targets.Id, Model.Method, Model.Target, Model.VocabSize, e.ImageSize, e.InChannels, e.PatchSize,
                e.EmbedDim, e.Depth, e.NumHeads, e.MlpDim, e.NumProxies, e.DropPathRate, e.LayerScaleInit, e.LayerNormEps, e.Flavour, Spec.Masking.Kind, Spec.Masking.Ratio, t.Steps, t.Epochs,
                t.BatchSize, t.Accumulation, t.LearningRate, t.MinLearningRate, t.WarmupFraction, t.WeightDecay, t.Beta1, t.Beta2, t.GradClip, t.Seed,
                t.Precision, t.Tf32)}";
        }
    }

    public bool IsSemanticMim => Spec.Method == MethodKind.SemanticMim;

    /// <summary>
    /// The one validation every entry point runs before any work (<c>semanticmim run</c> and <c>submit</c>, the orchestrator
    /// on <c>StartExperiment</c>): reads the YAML (<see cref="SpecReader"/>: shape, types, bounds, the spec's own rules), adds
    /// the rules that need a preset or the platform's <paramref name="limits"/> (<see cref="SpecRules"/>), and plans the
    /// spec. Throws <see cref="InvalidSpecException"/> listing every problem, each with its field.
    /// </summary>
    public static ExperimentPlan Read(string yaml, string source, SpecLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return Plan(SpecReader.Read(yaml, source, spec => SpecRules.Check(spec, limits)));
    }

    /// <summary>
    /// Plans a spec built in code or read before; throws <see cref="InvalidSpecException"/> with every problem when it is
    /// invalid, by the same rules as <see cref="Read"/> (with no limits unless given).
    /// </summary>
    public static ExperimentPlan From(ExperimentSpec spec, string source = "spec", SpecLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = SpecValidator.Validate(spec).Concat(SpecRules.Check(spec, limits ?? SpecLimits.None)).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidSpecException(source, problems);
        }
        return Plan(spec);
    }

    private static ExperimentPlan Plan(ExperimentSpec spec)
    {
        var dataset = DatasetPlan.From(spec.Dataset);
        var model = ResolveModel(spec);
        return new ExperimentPlan
        {
            Spec = spec,
            Dataset = dataset,
            Model = model,
            Targets = TargetPlan.From(spec, dataset, model),
        };
    }

    /// <summary>The data set evaluation <paramref name="index"/> runs on: its own, or the experiment's.</summary>
    public DatasetPlan EvaluationDataset(int index) =>
        Spec.Evaluations[index].Dataset is { } other ? DatasetPlan.From(other) : Dataset;

    /// <summary>The optimisation recipe; epochs are turned into steps with the number of training samples.</summary>
    public TrainingConfig Training(int trainSamples)
    {
        var training = Spec.Training;
        // Epochs of a large data set in small batches can count more steps than an int holds: capped there.
        int steps = training.Steps > 0
            ? training.Steps
            : (int)Math.Clamp((long)training.Epochs * trainSamples / ((long)training.BatchSize * training.Accumulation), 1, int.MaxValue);
        bool hog = Spec.Target.Kind == TargetKindSpec.Hog;
        return new TrainingConfig
        {
            Steps = steps,
            BatchSize = training.BatchSize,
            AccumulationSteps = training.Accumulation,
            PeakLearningRate = training.LearningRate,
            MinLearningRate = training.MinLearningRate,
            WarmupFraction = training.WarmupFraction,
            // Spec (e): BEiT warms up from 1e-4 of the peak, MaskFeat from 1e-6.
            WarmupStartFactor = hog ? 1e-6 : 1e-4,
            WeightDecay = training.WeightDecay,
            Beta1 = training.Beta1,
            Beta2 = training.Beta2,
            GradientClipNorm = training.GradClip,
            MaskRatio = Spec.Masking.Ratio,
            Masking = Spec.Masking.Kind == MaskingKind.Blockwise ? MaskingStrategy.Blockwise : MaskingStrategy.Random,
            Seed = training.Seed,
            CheckpointInterval = training.CheckpointEvery,
            CheckpointPeriod = TimeSpan.FromMinutes(training.CheckpointMinutes),
            DecayRule = hog ? WeightDecayRule.MaskFeat : WeightDecayRule.Beit,
            Precision = training.Precision == PrecisionKind.Bf16 ? TrainingPrecision.Bf16 : TrainingPrecision.Fp32,
            Tf32 = training.Tf32,
        };
    }

    /// <summary>One line that says what an arm is: targets, method, proxies, mask ratio, model and schedule.</summary>
    public string Describe(int trainSamples)
    {
        var encoder = Model.Encoder;
        var training = Training(trainSamples);
        string method = IsSemanticMim ? $"SemanticMIM ({encoder.NumProxies} proxies)" : $"baseline ({encoder.NumProxies} CLS)";
        string online = Targets.Views == 0 ? ", computed online" : "";
        string targets = Targets.IsHog ? $"MaskFeat (HOG{online})" : $"BEiT ({(Spec.Target.Tokenizer == TokenizerKind.Dalle ? "DALL-E" : "VQ")} tokens, {Targets.VocabSize} codes{online})";
        return string.Create(CultureInfo.InvariantCulture,
            $"{targets}, {method}, mask ratio {Spec.Masking.Ratio:0.##}; ViT {encoder.ImageSize}/{encoder.PatchSize}, dim {encoder.EmbedDim}, depth {encoder.Depth}; "
            + $"{training.Steps} steps × {training.EffectiveBatchSize} on {trainSamples} images");
    }

    /// <summary>The model a valid spec describes: its preset with the spec's overrides.</summary>
    internal static MimModelConfig ResolveModel(ExperimentSpec spec)
    {
        var model = spec.Model;
        var preset = ModelPresets.Get(model.Preset);
        bool semantic = spec.Method == MethodKind.SemanticMim;
        bool hog = spec.Target.Kind == TargetKindSpec.Hog;
        var encoder = preset with
        {
            ImageSize = spec.Dataset.ImageSize,
            InChannels = spec.Dataset.Channels,
            PatchSize = Override(model.PatchSize, preset.PatchSize),
            EmbedDim = Override(model.EmbedDim, preset.EmbedDim),
            Depth = Override(model.Depth, preset.Depth),
            NumHeads = Override(model.Heads, preset.NumHeads),
            MlpDim = Override(model.MlpDim, preset.MlpDim),
            NumProxies = Override(model.Proxies, semantic ? 8 : 1),
            DropPathRate = model.DropPath,
            Flavour = hog ? BlockFlavour.MaskFeat : BlockFlavour.Beit,
        };
        return new MimModelConfig
        {
            Encoder = encoder,
            Method = semantic ? MimMethod.SemanticMim : MimMethod.Baseline,
            Target = hog ? TargetKind.Hog : TargetKind.TokenIds,
            VocabSize = spec.Target.Tokenizer == TokenizerKind.Dalle ? new DalleEncoderConfig().VocabSize : spec.Target.VocabSize,
        };
    }

    private static int Override(int value, int fallback) => value > 0 ? value : fallback;
}
