using System.Globalization;
using System.Text;

namespace SemanticMIM.Benchmarks;

/// <summary>The suite's figures as a Markdown table: rates, time ratio and memory per pair, and the goals met.</summary>
public static class SuiteTable
{
    public static string Format(SuiteResult result)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var machine = result.Machine;
        text.AppendLine(string.Create(c,
            $"{machine.Cpu.Model}, {machine.Threads} threads pinned to cores {machine.PinnedCores}; PyTorch with OPENBLAS_CORETYPE={machine.OpenBlas.Set ?? "(unset)"}; {result.Mode} mode, {result.Started:yyyy-MM-dd}"));
        text.AppendLine();
        text.AppendLine("| pair | project | PyTorch peer | time ratio project/peer | peak memory project / peer | growth after step 2, project / peer | goals |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var pair in result.Pairs)
        {
            var s = pair.Summary;
            string peer = s.PeerRate is { } rate ? Rate(rate) : "no peer";
            string ratio = s.TimeRatio is { } time ? string.Create(c, $"**{time.Median:F2}×** ({time.Min:F2}–{time.Max:F2}, {s.Pairs} pairs)") : "–";
            string memory = s.PeerPeakBytes is { } peerPeak
                ? string.Create(c, $"{Mib(s.ProjectPeakBytes)} / {Mib(peerPeak)} ({s.MemoryRatio!.Median:F2}×)")
                : Mib(s.ProjectPeakBytes);
            if (s.StoredBytesPerImage is { } stored)
            {
                memory += string.Create(c, $"; stored {stored.Median / 1024:F1} KiB/image");
            }
            string growth = pair.Kind != PairKind.Train ? "–"
                : s.PeerGrowthAfterSecondStepBytes is { } peerGrowth ? $"{Mib(s.ProjectGrowthAfterSecondStepBytes)} / {Mib(peerGrowth)}"
                : Mib(s.ProjectGrowthAfterSecondStepBytes);
            text.AppendLine($"| {pair.Title} | {Rate(s.ProjectRate)} | {peer} | {ratio} | {memory} | {growth} | {Goals(s)} |");
        }
        AppendPhases(text, result);
        return text.ToString();
    }

    private static readonly string[] Phases = ["data", "forward", "backward", "update"];

    /// <summary>Where the training pairs' step time goes, on both sides (suites that recorded phases).</summary>
    private static void AppendPhases(StringBuilder text, SuiteResult result)
    {
        var rows = result.Pairs.Where(pair => pair.Kind == PairKind.Train)
            .Select(pair => (pair.Title, Project: Medians(pair.Project), Peer: Medians(pair.Peer)))
            .Where(row => row.Project is not null && row.Peer is not null).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        text.AppendLine();
        text.AppendLine("Where a training step's time goes, project / peer: seconds per step, the median over each side's runs of its median "
            + "step (data: taking the batch; forward: forward pass and loss; backward; update: zeroing, masks, clipping, AdamW).");
        text.AppendLine();
        text.AppendLine($"| pair | {string.Join(" | ", Phases)} |");
        text.AppendLine($"|---|{string.Concat(Phases.Select(_ => "---|"))}");
        foreach (var (title, project, peer) in rows)
        {
            var cells = Phases.Select(phase => string.Create(CultureInfo.InvariantCulture,
                $"{project!.GetValueOrDefault(phase):F3} / {peer!.GetValueOrDefault(phase):F3}"));
            text.AppendLine($"| {title} | {string.Join(" | ", cells)} |");
        }
    }

    /// <summary>Per phase, the median over runs of each run's median seconds; null when a run did not record phases.</summary>
    private static Dictionary<string, double>? Medians(IReadOnlyList<SideRun> runs)
    {
        var perRun = runs.Select(run => run.PhaseMedians()).ToList();
        if (perRun.Count == 0 || perRun.Any(medians => medians is null))
        {
            return null;
        }
        return Phases.ToDictionary(phase => phase, phase => Statistics.Median([.. perRun.Select(medians => medians!.GetValueOrDefault(phase))]), StringComparer.Ordinal);
    }

    private static string Rate(FigureRange rate) =>
        string.Create(CultureInfo.InvariantCulture, $"{rate.Median:F2} img/s ({rate.Min:F2}–{rate.Max:F2})");

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F0} MiB");

    private static string Goals(PairSummary s)
    {
        var goals = new List<string>();
        void Add(string name, bool? met)
        {
            if (met is { } value)
            {
                goals.Add($"{name} {(value ? "met" : "**not met**")}");
            }
        }
        Add("time ≤ 1.0×", s.TimeGoalMet);
        Add("memory ≤ 1.25×", s.MemoryGoalMet);
        Add("flat", s.FlatMemoryGoalMet);
        return goals.Count == 0 ? "–" : string.Join("; ", goals);
    }
}
