namespace SemanticMIM.Evaluation.Reports;

/// <summary>What the experiment and sweep reports' plots share.</summary>
internal static class ReportPlots
{
    /// <summary>A tick at every layer that has a point, labelled as an integer: layers are counted, never 2.5.</summary>
    public static void LayerTicks(ScottPlot.Plot plot, IEnumerable<int> layers)
    {
        int[] ticks = [.. layers.Distinct().Order()];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. ticks.Select(layer => (double)layer)], [.. ticks.Select(layer => layer.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }
}
