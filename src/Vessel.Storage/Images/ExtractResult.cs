namespace Vessel.Storage.Images;

/// <summary>What an extraction did: entries written (whiteouts not counted) and device nodes left out.</summary>
public sealed record ExtractResult(int Entries, int SkippedDeviceNodes);
