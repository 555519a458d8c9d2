using System.Text.Json;
using Bakery.Core.Lifecycle;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The bake pipeline after the app is published: fetch the pinned base, add local layers and the app
/// as deterministic layers, write the config and manifest, then push blobs, the manifest by digest,
/// and only then the tags.
/// </summary>
public sealed class ImageBaker(RegistryClientOptions registryOptions, IBakeLog log)
{
    public async Task<BakeResult> BakeAsync(BakeRequest request, LifecycleState lifecycle, CancellationToken ct = default)
    {
        var baseRef = request.BaseImage.Reference;
        var image = $"{request.TargetRegistry}/{request.TargetRepository}";
        var blobDirectory = Path.Combine(request.WorkDirectory, "blobs", "sha256");

        using var baseClient = new RegistryClient(baseRef.Registry, registryOptions);
        var sameRegistry = string.Equals(baseRef.Registry, request.TargetRegistry, StringComparison.OrdinalIgnoreCase);
        using var ownTarget = sameRegistry ? null : new RegistryClient(request.TargetRegistry, registryOptions);
        var target = ownTarget ?? baseClient;

        log.Info($"Base image {baseRef}");
        var (baseManifest, baseDigest, baseConfigBytes) = await FetchBaseAsync(baseClient, request, ct);
        var flavour = baseManifest.MediaType == MediaTypes.DockerManifest ? MediaTypes.DockerManifest : MediaTypes.OciManifest;

        var config = ImageConfig.Parse(baseConfigBytes);
        if (request.BaseImage.IsUpstream)
        {
            var facts = UpstreamValidator.Inspect(baseRef.ToString(), baseManifest, config);
            if (!facts.IsValid) throw BakeryException.Create("BAKE210", baseRef, string.Join("; ", facts.Problems));
            log.Info($"Upstream {facts.Platform}, created {facts.Created}, {facts.LayerCount} layer(s), {facts.CompressedSize:N0} bytes compressed, history of {facts.HistoryLength}");
        }
        var platform = new Platform { Os = config.Os ?? request.Platform.Os, Architecture = config.Architecture ?? request.Platform.Architecture };

        var layerOptions = new LayerOptions { ModificationTime = request.Created };
        var writer = new DeterministicLayerWriter(blobDirectory, layerOptions);
        var index = new LayerIndex(Path.Combine(request.WorkDirectory, "layer-index"), blobDirectory);
        var added = new List<(string Name, LayerBlob Blob)>();
        var push = new PushStatistics(0, 0, 0, 0);
        Composed Compose() => ComposeImage(baseConfigBytes, baseManifest, added, request, flavour, baseDigest);
        async Task PushBlobs(Composed composed) =>
            push = push.Add(await PushAsync(request, baseClient, target, sameRegistry, baseManifest, added, blobDirectory, composed.ConfigBytes, composed.ConfigDigest, image, ct));

        Running.DockerRunStepExecutor? runner = null;
        try
        {
            foreach (var step in request.Steps)
            {
                if (step is LocalLayer layer)
                {
                    var sources = await ResolveOwnersAsync(layer, baseClient, baseRef.Repository, baseManifest, added, blobDirectory, request.WorkDirectory, ct);
                    added.Add(($"layer {layer.Name}", WriteLayer(writer, index, layerOptions, layer.Name, sources)));
                    continue;
                }
                var run = (Running.RunStep)step;
                var key = Running.RunStepCache.Key(baseDigest, added.Select(a => a.Blob.DiffId), run);
                var blob = index.TryGet(key);
                if (blob is null)
                {
                    runner ??= new Running.DockerRunStepExecutor(log);
                    await runner.EnsureAvailableAsync(ct);
                    var soFar = Compose();
                    await PushBlobs(soFar);
                    await PutManifest(target, request.TargetRepository, soFar.Digest.ToString(), soFar.Bytes, flavour, image, ct);
                    var staging = Path.Combine(request.WorkDirectory, "run-staging", key[..16]);
                    try
                    {
                        var entries = await runner.RunAsync($"{request.TargetRegistry}/{request.TargetRepository}@{soFar.Digest}", run, staging, ct);
                        blob = writer.Write(entries);
                    }
                    finally
                    {
                        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
                    }
                    index.Save(key, blob);
                }
                else log.Info($"RUN {run.Display} (cached: {blob.Digest.Hex[..12]})");
                added.Add(($"run {run.Display}", blob));
            }
        }
        finally
        {
            runner?.Dispose();
        }

        if (request.AppDirectory is { } appDirectory)
            added.Add(("app", WriteLayer(writer, index, layerOptions, "app", [new LayerSource(appDirectory, request.AppDestination)])));

        var final = Compose();
        var digest = final.Digest;
        log.Info($"Image {image}@{digest} ({added.Count} new layer(s) on {baseManifest.Layers?.Count ?? 0} base layer(s))");

        // Verify before anything is tagged: secrets, user and file checks before any push, command tests on the image pushed by digest.
        // The outcome is remembered for this digest and these inputs: a rebake of the same image does not verify it again.
        var outcomes = new VerifiedOutcomes(Path.Combine(request.WorkDirectory, "verified"));
        var outcomeKey = VerifiedOutcomes.Key(digest, request);
        var outcome = outcomes.TryGet(outcomeKey, request.SbomPath);
        var verifier = new Verification.ImageVerifier(log);
        var checks = new List<Verification.CheckResult>();
        var assessment = new SecurityAssessment(0, [], []);
        var descriptor = request.BaseImage.Descriptor;
        BakeResult Report(IReadOnlyList<string> tags, VerifiedOutcome done, IReadOnlyList<Security.VulnerabilityFinding> blocking, string? sbomDigest) => new()
        {
            Image = image,
            Digest = digest.ToString(),
            MediaType = flavour,
            ConfigDigest = final.ConfigDigest.ToString(),
            Tags = tags,
            BaseImage = $"{baseRef.Registry}/{baseRef.Repository}",
            BaseDigest = baseDigest.ToString(),
            BasePackage = descriptor is null ? null : $"{descriptor.Id} {descriptor.Version}",
            Lineage = Lineage(request, baseDigest),
            Lifecycle = lifecycle,
            BaseExpiresOn = descriptor?.Lifecycle.ExpiresOn,
            Layers = (baseManifest.Layers ?? []).Select(l => new LayerReport("base", l.Digest, l.Size, "base"))
                .Concat(added.Select(a => new LayerReport(a.Name, a.Blob.Digest.ToString(), a.Blob.Size, "bake"))).ToList(),
            Push = push,
            Platform = platform.ToString(),
            BuildId = request.BuildId,
            Checks = done.Checks,
            AllowedSecrets = done.AllowedSecrets,
            SbomComponents = done.SbomComponents,
            SbomDigest = sbomDigest,
            Vulnerabilities = done.Vulnerabilities,
            BlockingVulnerabilities = blocking,
        };
        try
        {
            CheckUser(ImageConfig.Parse(final.ConfigBytes), request, $"{image}@{digest}");
            checks.AddRange(Verification.BuiltInPolicies.Evaluate(ImageConfig.Parse(final.ConfigBytes), baseRef, request.RequiredLabels));
            Verification.ImageVerifier.ThrowOnFailures(checks, $"{image}@{digest}");
            if (outcome is null)
            {
                var allowedSecrets = ScanSecrets(request, added, $"{image}@{digest}");
                var layerFiles = await LayerFilesAsync(baseClient, request.BaseImage.Reference.Repository, baseManifest, added, blobDirectory, ct);
                var filesystem = Verification.ImageFilesystem.Load(layerFiles, Path.Combine(request.WorkDirectory, "fs-index"));
                if (!request.Verification.IsEmpty)
                {
                    checks.AddRange(verifier.RunFileChecks(request.Verification, filesystem, ImageConfig.Parse(final.ConfigBytes)));
                    Verification.ImageVerifier.ThrowOnFailures(checks, $"{image}@{digest}");
                }
                assessment = AssessSecurity(request, filesystem, layerFiles, $"{image}@{digest}");
                if (assessment.Blocking.Count > 0)
                    throw BakeryException.Create("BAKE306", $"{image}@{digest}", assessment.Blocking.Count, request.FailOnSeverity, Security.VulnerabilityGate.Describe(assessment.Blocking));
                outcome = new VerifiedOutcome(checks, allowedSecrets, assessment.Components, assessment.Findings);
            }
            else log.Info($"Verification, secret scan and SBOM reused: {image}@{digest} passed them with these inputs before");
            await PushBlobs(final);
            await PutManifest(target, request.TargetRepository, digest.ToString(), final.Bytes, flavour, image, ct);
            if (!outcome.FromCache && !request.Verification.IsEmpty && request.Verification.HasCommandTests)
            {
                checks.AddRange(await verifier.RunCommandTestsAsync(request.Verification, $"{request.TargetRegistry}/{request.TargetRepository}@{digest}", ct));
                outcome = outcome with { Checks = [.. checks] };
                Verification.ImageVerifier.ThrowOnFailures(outcome.Checks, $"{image}@{digest}");
            }
        }
        catch (BakeryException e) when (e.FailedBake is null)
        {
            // Nothing is tagged; the report of what was checked is still worth having.
            var partial = new VerifiedOutcome(checks, [], assessment.Components, assessment.Findings);
            throw new BakeryException(e.Code, e.Message, e.InnerException)
            {
                FailedBake = Report([], partial, assessment.Blocking, null) with { Outcome = BakeOutcome.Failed, Failure = $"{e.Code}: {e.Message}" },
            };
        }
        if (!outcome.FromCache) outcomes.Save(outcomeKey, outcome, request.SbomPath);
        string? sbomDigest = null;
        if (request.SbomPath is { } sbomFile && File.Exists(sbomFile))
        {
            // The SBOM travels with the image: an artifact that refers to it (referrers API or tag fallback).
            var subject = new OciDescriptor { MediaType = flavour, Digest = digest.ToString(), Size = final.Bytes.Length };
            try
            {
                await target.PushReferrerAsync(request.TargetRepository, subject, Security.Sbom.ArtifactType,
                    new SortedDictionary<string, string>(StringComparer.Ordinal) { ["org.opencontainers.image.created"] = request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) },
                    ct, (sbomFile, Security.Sbom.ArtifactType));
                sbomDigest = Digest.Compute(File.ReadAllBytes(sbomFile)).ToString();
            }
            catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
        }
        foreach (var tag in request.Tags)
        {
            await PutManifest(target, request.TargetRepository, tag, final.Bytes, flavour, image, ct);
            log.Info($"Tagged {image}:{tag}");
        }
        return Report(request.Tags, outcome, [], sbomDigest);
    }

    private sealed record Composed(byte[] Bytes, Digest Digest, byte[] ConfigBytes, Digest ConfigDigest);

    /// <summary>The config and manifest for the base plus the layers added so far.</summary>
    private static Composed ComposeImage(byte[] baseConfigBytes, ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added,
        BakeRequest request, string flavour, Digest baseDigest)
    {
        var config = ImageConfig.Parse(baseConfigBytes);
        ApplySettings(config, request, request.BaseImage.Reference, baseDigest);
        foreach (var (name, blob) in added)
            config.AddLayer(blob.DiffId, $"bakery: {name} ({blob.EntryCount} entries)", request.Created);
        var configBytes = config.ToBytes();
        var configDigest = Digest.Compute(configBytes);
        var layerType = MediaTypes.LayerFor(flavour);
        var manifest = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = flavour,
            Config = new OciDescriptor { MediaType = MediaTypes.ConfigFor(flavour), Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = (baseManifest.Layers ?? []).Concat(added.Select(a => new OciDescriptor
            {
                MediaType = layerType,
                Digest = a.Blob.Digest.ToString(),
                Size = a.Blob.Size,
            })).ToList(),
        };
        var bytes = manifest.ToBytes();
        return new Composed(bytes, Digest.Compute(bytes), configBytes, configDigest);
    }

    /// <summary>The SBOM of the whole image, and the vulnerability gate when an advisory database is configured.</summary>
    private sealed record SecurityAssessment(int Components, IReadOnlyList<Security.VulnerabilityFinding> Findings, IReadOnlyList<Security.VulnerabilityFinding> Blocking);

    private SecurityAssessment AssessSecurity(BakeRequest request, Verification.ImageFilesystem fs,
        List<(string Digest, string Path)> layers, string image)
    {
        var components = Security.Sbom.Inventory(fs, layers.Select(l => l.Digest).ToList());
        if (request.SbomPath is { } sbomPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(sbomPath)!);
            File.WriteAllText(sbomPath, Security.Sbom.ToCycloneDx(components, image[..image.IndexOf('@')], image[(image.IndexOf('@') + 1)..], request.Created));
        }
        log.Info($"SBOM: {components.Count(c => c.Ecosystem == "Debian")} Debian, {components.Count(c => c.Ecosystem == "NuGet")} NuGet package(s), " +
            $"{string.Join(", ", components.Where(c => c.Ecosystem == "dotnet").Select(c => $"{c.Name} {c.Version}"))}");
        if (request.AdvisoryDatabase is not { } databasePath) return new SecurityAssessment(components.Count, [], []);

        var database = Security.AdvisoryDatabase.Load(databasePath);
        if (database.NewestModified is { } newest && request.Now - newest > TimeSpan.FromDays(request.AdvisoryMaxAgeDays))
            log.Warning(BakeryDiagnostic.Warning("BAKE309", databasePath, (int)(request.Now - newest).TotalDays, newest.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        var findings = database.Match(components).ToList();
        var gate = Security.VulnerabilityGate.Evaluate(findings, request.FailOnSeverity, request.VulnerabilityAllowlist, request.Now);
        foreach (var warning in gate.Warnings) log.Warning(warning);
        foreach (var (finding, reason) in gate.Allowed) log.Info($"Allowed {finding.AdvisoryId} in {finding.Package}: {reason}");
        if (gate.Blocking.Count == 0)
            log.Info($"Vulnerability gate: {database.Count} advisories, {findings.Count} finding(s), none at or above {request.FailOnSeverity}");
        return new SecurityAssessment(components.Count, findings.Except(gate.Blocking).ToList(), gate.Blocking);
    }

    /// <summary>The layers this bake added are scanned; inherited layers were scanned by their own bakes.</summary>
    private List<Verification.SecretFinding> ScanSecrets(BakeRequest request, List<(string Name, LayerBlob Blob)> added, string image)
    {
        var scanner = new Verification.SecretScanner(request.SecretAllowlist);
        var findings = new List<Verification.SecretFinding>();
        var clean = Path.Combine(request.WorkDirectory, "secret-scan");
        foreach (var (_, blob) in added)
        {
            // A layer already scanned without any finding (it is content-addressed) need not be read again.
            var marker = Path.Combine(clean, blob.Digest.Hex);
            if (File.Exists(marker)) continue;
            using (var stream = File.OpenRead(blob.Path))
            {
                var found = scanner.ScanLayer(stream);
                findings.AddRange(found);
                if (found.Count > 0) continue;
            }
            Directory.CreateDirectory(clean);
            File.WriteAllText(marker, "");
        }
        var blocking = findings.Where(f => f.AllowedBecause is null).ToList();
        if (blocking.Count > 0)
            throw BakeryException.Create("BAKE302", image, blocking.Count,
                string.Join("; ", blocking.Take(10).Select(f => $"{f.Path}{(f.Line > 0 ? $":{f.Line}" : "")} ({f.Rule}: {f.Redacted})")) + (blocking.Count > 10 ? $"; and {blocking.Count - 10} more" : ""));
        foreach (var allowed in findings) log.Info($"Allowed secret finding {allowed.Path}:{allowed.Line} ({allowed.Rule}): {allowed.AllowedBecause}");
        log.Detail($"Secret scan: {scanner.BytesScanned:N0} bytes in {added.Count} layer(s), no findings");
        return findings;
    }

    private void CheckUser(ImageConfig config, BakeRequest request, string image)
    {
        var user = config.User ?? "";
        var name = user.Split(':')[0];
        if (name is not ("" or "root" or "0")) return;
        if (string.IsNullOrWhiteSpace(request.AllowRootReason)) throw BakeryException.Create("BAKE304", image, user);
        log.Warning(new BakeryDiagnostic("BAKE304", false, $"{image} runs as root, allowed because: {request.AllowRootReason}"));
    }

    /// <summary>Every layer as a local file, bottom first: base layers are downloaded (digest-checked) once into the blob folder.</summary>
    private static async Task<List<(string Digest, string Path)>> LayerFilesAsync(RegistryClient baseClient, string baseRepository, ImageManifest baseManifest,
        List<(string Name, LayerBlob Blob)> added, string blobDirectory, CancellationToken ct)
    {
        var files = new List<(string, string)>();
        try
        {
            foreach (var layer in baseManifest.Layers ?? [])
            {
                var path = DeterministicLayerWriter.BlobPath(blobDirectory, layer.ParsedDigest);
                if (!File.Exists(path)) await baseClient.DownloadBlobAsync(baseRepository, layer.ParsedDigest, path, ct);
                files.Add((layer.Digest, path));
            }
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, $"{baseClient.Registry}/{baseRepository}", "");
        }
        files.AddRange(added.Select(a => (a.Blob.Digest.ToString(), a.Blob.Path)));
        return files;
    }

    private static async Task PutManifest(RegistryClient target, string repository, string reference, byte[] bytes, string mediaType, string image, CancellationToken ct)
    {
        try { await target.PutManifestAsync(repository, reference, bytes, mediaType, ct); }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
    }

    /// <summary>Writes a layer, or reuses the blob written last time for exactly these inputs.</summary>
    /// <summary>
    /// Numeric owners are already in the sources; names are looked up in the image so far (base layers
    /// and the layers added before this one), as COPY --chown does.
    /// </summary>
    private static async Task<IReadOnlyList<LayerSource>> ResolveOwnersAsync(LocalLayer layer, RegistryClient baseClient, string baseRepository,
        ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added, string blobDirectory, string workDirectory, CancellationToken ct)
    {
        if (layer.Sources.All(s => s.OwnerName is null)) return layer.Sources.Select(s => s.Source).ToList();
        var files = await LayerFilesAsync(baseClient, baseRepository, baseManifest, added, blobDirectory, ct);
        var fs = Verification.ImageFilesystem.Load(files, Path.Combine(workDirectory, "fs-index"));
        string? Read(string path) => fs.Resolve(path) is { } node && fs.ReadFile(node) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;
        var accounts = ImageAccounts.Parse(Read("/etc/passwd"), Read("/etc/group"));
        return layer.Sources.Select(s =>
        {
            if (s.OwnerName is null) return s.Source;
            var owner = accounts.Resolve(s.OwnerName, out var problem)
                ?? throw BakeryException.Create("BAKE501", s.Source.SourcePath, $"Owner '{s.OwnerName}': {problem}.");
            return s.Source with { Uid = owner.Uid, Gid = owner.Gid };
        }).ToList();
    }

    private LayerBlob WriteLayer(DeterministicLayerWriter writer, LayerIndex index, LayerOptions options, string name, IReadOnlyList<LayerSource> sources)
    {
        try
        {
            var entries = LayerPlan.Expand(sources);
            var key = LayerIndex.KeyOf(entries, options);
            if (index.TryGet(key) is { } cached)
            {
                log.Detail($"Layer {name}: {cached.Digest} (unchanged)");
                return cached;
            }
            var blob = writer.Write(entries);
            index.Save(key, blob);
            log.Detail($"Layer {name}: {blob.Digest} ({blob.Size} bytes, {blob.EntryCount} entries)");
            return blob;
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException)
        {
            throw BakeryException.Wrap(e, "BAKE501", name, e.Message);
        }
    }

    private async Task<(ImageManifest Manifest, Digest Digest, byte[] Config)> FetchBaseAsync(RegistryClient client, BakeRequest request, CancellationToken ct)
    {
        var baseRef = request.BaseImage.Reference;
        var pinned = baseRef.Digest?.ToString() ?? baseRef.Reference;
        try
        {
            var fetched = await client.GetManifestAsync(baseRef.Repository, baseRef.Reference, ct);
            var manifest = fetched.Parse();
            var digest = fetched.Digest;
            if (MediaTypes.IsIndex(fetched.MediaType) || manifest.Manifests is not null)
            {
                var wanted = request.Platform;
                var match = manifest.Manifests?.FirstOrDefault(m => m.Platform is { } p && p.Os == wanted.Os && p.Architecture == wanted.Architecture)
                    ?? throw BakeryException.Create("BAKE206", baseRef, wanted,
                        string.Join(", ", manifest.Manifests?.Select(m => m.Platform?.ToString() ?? "unknown") ?? []));
                var child = await client.GetManifestAsync(baseRef.Repository, match.Digest, ct);
                manifest = child.Parse();
                digest = child.Digest;
            }
            if (manifest.Config is null || !MediaTypes.IsManifest(manifest.MediaType ?? fetched.MediaType))
                throw BakeryException.Create("BAKE208", baseRef, $"its manifest has media type '{manifest.MediaType ?? fetched.MediaType}', which is not an image manifest");
            var config = await client.GetBlobAsync(baseRef.Repository, manifest.Config.ParsedDigest, ct);
            return (manifest with { MediaType = manifest.MediaType ?? fetched.MediaType }, digest, config);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, baseRef.ToString(), pinned);
        }
    }

    private static void ApplySettings(ImageConfig config, BakeRequest request, ImageReference baseRef, Digest baseDigest)
    {
        var c = request.Container;
        config.SetCreated(request.Created);
        var (entrypoint, cmd) = EntrypointResolver.Resolve(c, config.Entrypoint, config.Cmd);
        config.SetEntrypoint(entrypoint);
        config.SetCmd(cmd);
        config.SetUser(c.User);
        config.SetWorkingDir(c.WorkingDirectory);
        config.SetEnvironment(c.Environment);
        config.AddExposedPorts(c.Ports);

        var labels = new List<KeyValuePair<string, string>>(c.Labels)
        {
            new("org.opencontainers.image.base.name", $"{baseRef.Registry}/{baseRef.Repository}"),
            new("org.opencontainers.image.base.digest", baseDigest.ToString()),
            new("org.opencontainers.image.created", request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            new("dev.bakery.lineage", JsonSerializer.Serialize(Lineage(request, baseDigest))),
        };
        AddIfSet(labels, "org.opencontainers.image.version", request.Version);
        AddIfSet(labels, "org.opencontainers.image.revision", request.Revision);
        AddIfSet(labels, "org.opencontainers.image.source", request.Source);
        if (request.BaseImage.Descriptor is { } d) labels.Add(new("dev.bakery.base.package", $"{d.Id}/{d.Version}"));
        if (request.BaseImage.IsUpstream) labels.Add(new("dev.bakery.origin.upstream", $"{baseRef.Registry}/{baseRef.Repository}@{baseDigest}"));
        config.SetLabels(labels);
    }

    /// <summary>Ancestors, nearest first: the base itself, then the lineage its package recorded.</summary>
    internal static List<Descriptors.LineageEntry> Lineage(BakeRequest request, Digest baseDigest)
    {
        var d = request.BaseImage.Descriptor;
        var reference = request.BaseImage.Reference;
        var self = new Descriptors.LineageEntry
        {
            Repository = $"{reference.Registry}/{reference.Repository}",
            Digest = baseDigest.ToString(),
            PackageId = d?.Id,
            PackageVersion = d?.Version,
        };
        return [self, .. d?.Lineage ?? []];
    }

    private static void AddIfSet(List<KeyValuePair<string, string>> labels, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) labels.Add(new(key, value));
    }

    private async Task<PushStatistics> PushAsync(BakeRequest request, RegistryClient baseClient, RegistryClient target, bool sameRegistry,
        ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added, string blobDirectory, byte[] configBytes, Digest configDigest,
        string image, CancellationToken ct)
    {
        var repo = request.TargetRepository;
        var baseRepo = request.BaseImage.Reference.Repository;
        int uploaded = 0, mounted = 0, skipped = 0;
        var before = target.BlobBytesUploaded;

        async Task PushOne(Digest digest, Func<CancellationToken, Task<string>> localPath, bool fromBase, string name)
        {
            if (await target.BlobExistsAsync(repo, digest, ct))
            {
                Interlocked.Increment(ref skipped);
                log.Detail($"  {name} {digest.Hex[..12]} already in {repo}");
                return;
            }
            if (fromBase && sameRegistry && repo != baseRepo && await target.TryMountBlobAsync(repo, digest, baseRepo, ct))
            {
                Interlocked.Increment(ref mounted);
                log.Detail($"  {name} {digest.Hex[..12]} mounted from {baseRepo}");
                return;
            }
            var path = await localPath(ct);
            log.Info($"  Uploading {name} {digest.Hex[..12]} ({new FileInfo(path).Length:N0} bytes)");
            await target.UploadBlobAsync(repo, digest, path, ct);
            Interlocked.Increment(ref uploaded);
        }

        async Task<string> FromBaseRegistry(Digest digest, CancellationToken token)
        {
            var path = DeterministicLayerWriter.BlobPath(blobDirectory, digest);
            if (!File.Exists(path)) await baseClient.DownloadBlobAsync(baseRepo, digest, path, token);
            return path;
        }

        var configPath = DeterministicLayerWriter.BlobPath(blobDirectory, configDigest);
        Directory.CreateDirectory(blobDirectory);
        await File.WriteAllBytesAsync(configPath, configBytes, ct);

        var work = new List<Func<Task>>();
        foreach (var layer in baseManifest.Layers ?? [])
        {
            var d = layer.ParsedDigest;
            work.Add(() => PushOne(d, t => FromBaseRegistry(d, t), fromBase: true, "base layer"));
        }
        foreach (var (name, blob) in added)
            work.Add(() => PushOne(blob.Digest, _ => Task.FromResult(blob.Path), fromBase: false, name));
        work.Add(() => PushOne(configDigest, _ => Task.FromResult(configPath), fromBase: false, "config"));

        try
        {
            using var gate = new SemaphoreSlim(Math.Max(1, request.MaxParallelUploads));
            await Task.WhenAll(work.Select(async w =>
            {
                await gate.WaitAsync(ct);
                try { await w(); }
                finally { gate.Release(); }
            }));
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhilePushing(e, image);
        }
        return new PushStatistics(uploaded, mounted, skipped, target.BlobBytesUploaded - before);
    }
}
