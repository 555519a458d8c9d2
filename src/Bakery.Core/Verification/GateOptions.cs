using Bakery.Core.Baking;

namespace Bakery.Core.Verification;

/// <summary>
/// The gates' settings as a project's Bakery* properties or `bakery rebase`'s options give them (text),
/// and their one reading, so a bake and a rebase judge an image by the same rules: structure tests
/// (this project's and the base package's), secret and vulnerability gates within the base package's
/// requirements, the root-user exception and required labels.
/// </summary>
public sealed record GateOptions
{
    /// <summary>This project's structure-test files (relative to the current directory or full paths).</summary>
    public IReadOnlyList<string> VerifyFiles { get; init; } = [];
    public string? RunCommandTests { get; init; }
    public bool AllowPrivilegedCommandTests { get; init; }
    public string? SecretAllowlist { get; init; }
    public string? AdvisoryDatabase { get; init; }
    public string? FailOnSeverity { get; init; }
    public string? VulnerabilityAllowlist { get; init; }
    public string? AdvisoryMaxAgeDays { get; init; }
    /// <summary>Why the image may run as root; empty or "false": it may not.</summary>
    public string? AllowRootUser { get; init; }
    public IReadOnlyList<string> RequiredLabels { get; init; } = [];

    /// <summary>
    /// <paramref name="request"/> with these gates, for its base (whose package, at <paramref name="descriptorPath"/>,
    /// brings its verification files, labels and security requirements); warnings about settings the
    /// package tightened go to <paramref name="diagnostics"/>.
    /// </summary>
    public BakeRequest ApplyTo(BakeRequest request, string? descriptorPath, ICollection<BakeryDiagnostic> diagnostics)
    {
        var descriptor = request.BaseImage.Descriptor;
        var security = Security.EffectiveSecuritySettings.Apply(
            string.IsNullOrWhiteSpace(AdvisoryDatabase) ? null : Path.GetFullPath(AdvisoryDatabase),
            string.IsNullOrWhiteSpace(FailOnSeverity) ? null : Security.VulnerabilityGate.ParseThreshold(FailOnSeverity),
            string.IsNullOrWhiteSpace(AdvisoryMaxAgeDays) ? null : PropertyValues.WholeNumber("BakeryAdvisoryMaxAgeDays", AdvisoryMaxAgeDays, "days"),
            descriptor);
        foreach (var diagnostic in security.Diagnostics) diagnostics.Add(diagnostic);
        return request with
        {
            Verification = VerificationPlan.Create(VerifyFiles.Select(Path.GetFullPath), descriptor, descriptorPath, RunCommandTests, AllowPrivilegedCommandTests),
            SecretAllowlist = Secrets.SecretAllowlist.Load(SecretAllowlist),
            AdvisoryDatabase = security.AdvisoryDatabase,
            FailOnSeverity = security.FailOnSeverity,
            VulnerabilityAllowlist = Security.VulnerabilityAllowlist.Load(VulnerabilityAllowlist),
            AdvisoryMaxAgeDays = security.AdvisoryMaxAgeDays,
            AllowRootReason = string.IsNullOrWhiteSpace(AllowRootUser) || AllowRootUser.Trim().Equals("false", StringComparison.OrdinalIgnoreCase) ? null : AllowRootUser,
            RequiredLabels = [.. RequiredLabels.Select(l => new RequiredLabel(l)), .. descriptor?.RequiredLabels ?? []],
        };
    }
}
