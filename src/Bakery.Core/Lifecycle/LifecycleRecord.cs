using System.Globalization;
using Bakery.Oci.Model;

namespace Bakery.Core.Lifecycle;

/// <summary>
/// One lifecycle statement about an image, stored in the registry as an OCI artifact that refers
/// to the image (compatible with Azure Container Registry's end-of-life annotation).
/// Records are append-only; the newest one is in force.
/// </summary>
public sealed record LifecycleRecord
{
    public const string ArtifactType = "application/vnd.microsoft.artifact.lifecycle";
    public const string EndOfLifeAnnotation = "vnd.microsoft.artifact.lifecycle.end-of-life.date";
    public const string StateAnnotation = "dev.bakery.lifecycle.state";
    public const string ReasonAnnotation = "dev.bakery.lifecycle.reason";
    public const string SuccessorAnnotation = "dev.bakery.lifecycle.successor";
    public const string AuthorAnnotation = "dev.bakery.lifecycle.author";
    public const string CreatedAnnotation = "org.opencontainers.image.created";

    public const string Active = "active";
    public const string Deprecated = "deprecated";
    public const string Revoked = "revoked";

    public required string State { get; init; }
    public DateTimeOffset? EndOfLife { get; init; }
    public string? Reason { get; init; }
    public string? Successor { get; init; }
    public string? Author { get; init; }
    public required DateTimeOffset Created { get; init; }
    public string? Digest { get; init; }

    public SortedDictionary<string, string> ToAnnotations()
    {
        var a = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [StateAnnotation] = State,
            [CreatedAnnotation] = Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        if (EndOfLife is { } eol) a[EndOfLifeAnnotation] = eol.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        if (!string.IsNullOrWhiteSpace(Reason)) a[ReasonAnnotation] = Reason;
        if (!string.IsNullOrWhiteSpace(Successor)) a[SuccessorAnnotation] = Successor;
        if (!string.IsNullOrWhiteSpace(Author)) a[AuthorAnnotation] = Author;
        return a;
    }

    /// <summary>Reads a record from a referrer's annotations; null when they are not a lifecycle record.</summary>
    public static LifecycleRecord? FromDescriptor(OciDescriptor descriptor)
    {
        var a = descriptor.Annotations;
        if (a is null || descriptor.ArtifactType != ArtifactType) return null;
        var state = a.GetValueOrDefault(StateAnnotation) ?? (a.ContainsKey(EndOfLifeAnnotation) ? Deprecated : null);
        if (state is null || !DateTimeOffset.TryParse(a.GetValueOrDefault(CreatedAnnotation), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
            return null;
        return new LifecycleRecord
        {
            State = state,
            EndOfLife = DateTimeOffset.TryParse(a.GetValueOrDefault(EndOfLifeAnnotation), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var eol) ? eol : null,
            Reason = a.GetValueOrDefault(ReasonAnnotation),
            Successor = a.GetValueOrDefault(SuccessorAnnotation),
            Author = a.GetValueOrDefault(AuthorAnnotation),
            Created = created,
            Digest = descriptor.Digest,
        };
    }
}
