namespace Meshwork.Policy.Analysis;

/// <summary>One rule of <c>analyze</c>: reads the mesh, reports what breaks or is ignored. Pure.</summary>
public interface IMeshAnalyzer
{
    IEnumerable<AnalysisMessage> Analyze(AnalysisContext context);
}
