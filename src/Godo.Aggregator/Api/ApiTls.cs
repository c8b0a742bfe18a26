using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Godo.Aggregator.Api;

/// <summary>HTTPS for the API: an https:// URL needs a PEM certificate and key, and a certificate needs an https:// URL.</summary>
public static class ApiTls
{
    /// <summary>
    /// The certificate to serve, or null for plain HTTP. Throws <see cref="AggregatorConfigException"/> (one line) for
    /// https:// without a certificate, a certificate without https://, or files that do not load.
    /// </summary>
    public static X509Certificate2? Load(AggregatorSettings settings)
    {
        var https = settings.HttpUrl.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        var (cert, key) = (NullIfBlank(settings.HttpCert), NullIfBlank(settings.HttpKey));
        if (cert is null != key is null)
            throw new AggregatorConfigException("give both --http-cert FILE and --http-key FILE (PEM), or neither");
        if (https && cert is null)
            throw new AggregatorConfigException($"cannot serve {settings.HttpUrl} without a certificate: give --http-cert FILE and --http-key FILE (PEM), or use http://");
        if (!https && cert is not null)
            throw new AggregatorConfigException($"--http-cert is given but the API is served on {settings.HttpUrl}: use --http https://HOST:PORT");
        if (cert is null) return null;
        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new AggregatorConfigException($"cannot load the API certificate {cert} with key {key}: {e.Message.TrimEnd('.')}");
        }
    }

    private static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
