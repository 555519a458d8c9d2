using System.Text.Json.Serialization;
using Bakery.Core.Descriptors;

namespace Bakery.Core.Security;

/// <summary>
/// What a base image demands of every image built on it: a vulnerability assessment, a severity
/// threshold no descendant may loosen, and a maximum advisory database age. Carried in the package
/// descriptor (<c>security</c>) and merged down the lineage: the strictest requirement wins.
/// </summary>
public sealed record SecurityRequirements
{
    [JsonPropertyName("requireAssessment")] public bool RequireAssessment { get; set; }

    [JsonPropertyName("failOnSeverity")]
    [JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
    public Severity? FailOnSeverity { get; set; }

    [JsonPropertyName("advisoryMaxAgeDays")] public int? AdvisoryMaxAgeDays { get; set; }

    /// <summary>The package that set the strictest part, for messages.</summary>
    [JsonPropertyName("setBy")] public string? SetBy { get; set; }

    [JsonIgnore] public bool IsEmpty => !RequireAssessment && FailOnSeverity is null && AdvisoryMaxAgeDays is null;

    /// <summary>The stricter of two requirement sets; either may be null.</summary>
    public static SecurityRequirements? Strictest(SecurityRequirements? own, SecurityRequirements? inherited)
    {
        if (own is null || own.IsEmpty) return inherited is { IsEmpty: false } ? inherited : null;
        if (inherited is null || inherited.IsEmpty) return own;
        return new SecurityRequirements
        {
            RequireAssessment = own.RequireAssessment || inherited.RequireAssessment,
            FailOnSeverity = Min(own.FailOnSeverity, inherited.FailOnSeverity),
            AdvisoryMaxAgeDays = Min(own.AdvisoryMaxAgeDays, inherited.AdvisoryMaxAgeDays),
            SetBy = string.Join(", ", new[] { own.SetBy, inherited.SetBy }.Where(s => !string.IsNullOrEmpty(s)).Distinct()),
        };
    }

    private static T? Min<T>(T? a, T? b) where T : struct =>
        a is null ? b : b is null ? a : Comparer<T>.Default.Compare(a.Value, b.Value) <= 0 ? a : b;
}

/// <summary>The settings a bake's vulnerability gate runs with, once the base image's requirements are applied.</summary>
public sealed record EffectiveSecuritySettings(string? AdvisoryDatabase, Severity FailOnSeverity, int AdvisoryMaxAgeDays, IReadOnlyList<BakeryDiagnostic> Diagnostics)
{
    public const Severity DefaultFailOnSeverity = Severity.High;
    public const int DefaultAdvisoryMaxAgeDays = 7;

    /// <summary>
    /// Applies the base image's requirements to the project's own settings (null = not set): a
    /// looser threshold or age is tightened, with a warning when the project asked for it explicitly,
    /// and a required assessment without a database is BAKE311.
    /// </summary>
    public static EffectiveSecuritySettings Apply(string? database, Severity? failOn, int? maxAgeDays, BaseImageDescriptor? descriptor)
    {
        var required = descriptor?.Security;
        var diagnostics = new List<BakeryDiagnostic>();
        var severity = failOn ?? DefaultFailOnSeverity;
        var age = maxAgeDays ?? DefaultAdvisoryMaxAgeDays;
        if (required is null || required.IsEmpty) return new(database, severity, age, diagnostics);
        var by = required.SetBy ?? descriptor!.Id;
        if (required.RequireAssessment && database is null)
            throw Messages.BAKE311(descriptor!.DisplayName, by).Exception();
        if (required.FailOnSeverity is { } ceiling && severity > ceiling)
        {
            if (failOn is not null) diagnostics.Add(Messages.BAKE312("BakeryFailOnSeverity", severity, ceiling, by).Warning());
            severity = ceiling;
        }
        if (required.AdvisoryMaxAgeDays is { } maxAge && age > maxAge)
        {
            if (maxAgeDays is not null) diagnostics.Add(Messages.BAKE312("BakeryAdvisoryMaxAgeDays", age, maxAge, by).Warning());
            age = maxAge;
        }
        return new(database, severity, age, diagnostics);
    }
}
