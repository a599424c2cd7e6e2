using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;

namespace Lanyard.Server.Hosting;

internal enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Every setting the server reads, parsed and checked in one pass at start-up. Reading raw keys (rather
/// than letting the binder throw on the first bad value) lets the server report every problem at once,
/// each with its configuration key and the offending value, before anything is opened or created.
/// </summary>
internal sealed partial record ServerSettings
{
    public const string Section = "Lanyard";

    public required string DataDirectory { get; init; }
    public required DatabaseProvider DatabaseProvider { get; init; }
    public required string ConnectionString { get; init; }
    public required bool AutoMigrate { get; init; }

    public required string ApplicationName { get; init; }
    public required string ApplicationDisplayName { get; init; }
    public required string VanityDomain { get; init; }
    public required TenantHostStyle TenantHostStyle { get; init; }

    public string? AdminClientSecret { get; init; }
    public required bool CreateDemoData { get; init; }

    /// <summary>Null in development, where a key file under the data directory is created on first run.</summary>
    public byte[]? MasterKey { get; init; }

    public required int HttpPort { get; init; }
    public required int HttpsPort { get; init; }
    public required bool UseDevelopmentCertificate { get; init; }

    public required int PasswordHashIterations { get; init; }

    /// <summary>
    /// How long background workers (email outbox, key rotation, tenant deletion) wait after the database is ready
    /// before their first pass, so that the first requests after a start do not share two cores with three workers
    /// compiling their first queries. Wall-clock time, not business time.
    /// </summary>
    public required TimeSpan WorkerStartDelay { get; init; }

    public bool IsDevelopment { get; init; }

    public required ProtocolSettings Protocol { get; init; }

    public required WorkflowLimits Workflows { get; init; }

    public required EmailSettings Email { get; init; }

    public string VanityHost => Normalize.Host(VanityDomain);

    public static ServerSettings LoadOrThrow(IConfiguration configuration, IHostEnvironment environment)
    {
        var errors = new List<string>();
        var settings = Load(configuration, environment, errors);
        return errors.Count == 0 ? settings : throw new InvalidSettingsException(errors);
    }

    public static ServerSettings Load(IConfiguration configuration, IHostEnvironment environment, List<string> errors)
    {
        var dev = environment.IsDevelopment();
        var reader = new Reader(configuration.GetSection(Section), errors);

        // Relative to the working directory, not the content root: `./data` is where the operator started the server.
        var dataDirectory = Path.GetFullPath(reader.String("DataDirectory", "data")!);
        var provider = reader.Enum("Database:Provider", DatabaseProvider.Sqlite);
        var connectionString = reader.String("Database:ConnectionString", null);
        if (connectionString is null)
        {
            if (provider == DatabaseProvider.Postgres)
            {
                errors.Add("Lanyard:Database:ConnectionString is required when Lanyard:Database:Provider is Postgres.");
            }

            connectionString = $"Data Source={Path.Combine(dataDirectory, "lanyard.db")}";
        }
        else if (provider == DatabaseProvider.Postgres)
        {
            connectionString = Persistence.PostgresConnectionDefaults.Apply(connectionString, errors) ?? connectionString;
        }

        var httpPort = reader.Port("Endpoints:HttpPort", 5080);
        var httpsPort = reader.Port("Endpoints:HttpsPort", 5443);
        var vanityDomain = reader.String("Application:VanityDomain", $"auth.localhost:{httpsPort}")!;
        ValidateDomain(vanityDomain, errors);

        var style = TenantHostStyle.Dash;
        var rawStyle = reader.String("Application:TenantHostStyle", "-");
        if (!TenantHostStyles.TryParse(rawStyle, out style))
        {
            errors.Add($"Lanyard:Application:TenantHostStyle = '{rawStyle}' is not valid: use '-' ({{tenant}}-{{domain}}) or '.' ({{tenant}}.{{domain}}).");
        }

        var appName = reader.String("Application:Name", "yourapp")!;
        if (appName.Length is < 3 or > 20 || !appName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add($"Lanyard:Application:Name = '{appName}' is not valid: 3–20 lowercase letters, digits or hyphens.");
        }

        var displayName = reader.String("Application:DisplayName", "Your App")!;
        if (displayName.Length is < 1 or > 60)
        {
            errors.Add($"Lanyard:Application:DisplayName = '{displayName}' is not valid: 1–60 characters.");
        }

        var adminSecret = reader.String("Bootstrap:AdminClientSecret", null);
        if (adminSecret is not null && adminSecret.Length < 32)
        {
            // The value itself is a secret: name the key and the problem, never echo it.
            errors.Add($"Lanyard:Bootstrap:AdminClientSecret is too short ({adminSecret.Length} characters): use at least 32 random characters.");
        }

        var masterKeyText = reader.String("Secrets:MasterKey", null);
        byte[]? masterKey = null;
        if (masterKeyText is not null)
        {
            try
            {
                masterKey = Convert.FromBase64String(masterKeyText);
                if (masterKey.Length < 32)
                {
                    errors.Add($"Lanyard:Secrets:MasterKey is too short ({masterKey.Length} bytes): use 32 random bytes, base64-encoded.");
                }
            }
            catch (FormatException)
            {
                errors.Add("Lanyard:Secrets:MasterKey is not valid base64: use 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`).");
            }
        }
        else if (!dev)
        {
            errors.Add("Lanyard:Secrets:MasterKey is required outside development: 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`).");
        }

        var iterations = reader.Int("Passwords:Pbkdf2Iterations", 600_000, min: dev || environment.IsEnvironment("Testing") ? 1_000 : 600_000, max: 10_000_000);

        return new ServerSettings
        {
            DataDirectory = dataDirectory,
            DatabaseProvider = provider,
            ConnectionString = connectionString,
            AutoMigrate = reader.Bool("Database:AutoMigrate", dev),
            ApplicationName = appName,
            ApplicationDisplayName = displayName,
            VanityDomain = vanityDomain,
            TenantHostStyle = style,
            AdminClientSecret = adminSecret,
            CreateDemoData = reader.Bool("Bootstrap:DemoData", dev),
            MasterKey = masterKey,
            HttpPort = httpPort,
            HttpsPort = httpsPort,
            UseDevelopmentCertificate = reader.Bool("Endpoints:DevelopmentCertificate", dev),
            PasswordHashIterations = iterations,
            WorkerStartDelay = TimeSpan.FromMilliseconds(reader.Int("Workers:StartDelayMilliseconds", 2_000, 0, 60_000)),
            IsDevelopment = dev,
            Protocol = LoadProtocol(reader),
            Workflows = LoadWorkflowLimits(reader),
            Email = LoadEmail(reader, errors, dev, vanityDomain),
        };
    }

    private static void ValidateDomain(string domain, List<string> errors)
    {
        var host = Normalize.Host(domain);
        var portPart = domain.Length > host.Length ? domain[(domain.LastIndexOf(':') + 1)..] : null;
        var validHost = Uri.CheckHostName(host) == UriHostNameType.Dns && host.Contains('.', StringComparison.Ordinal);
        var validPort = portPart is null || (int.TryParse(portPart, out var port) && port is > 0 and < 65536);
        if (!validHost || !validPort || domain.Contains('/', StringComparison.Ordinal))
        {
            errors.Add($"Lanyard:Application:VanityDomain = '{domain}' is not valid: a host name with at least two labels and an optional port, e.g. auth.example.com or auth.localhost:5443.");
        }
    }

    private sealed class Reader(IConfigurationSection root, List<string> errors)
    {
        public string? String(string key, string? fallback)
        {
            var value = root[key];
            return string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        }

        public bool Bool(string key, bool fallback)
        {
            var value = String(key, null);
            if (value is null)
            {
                return fallback;
            }

            if (bool.TryParse(value, out var parsed))
            {
                return parsed;
            }

            errors.Add($"{Section}:{key} = '{value}' is not valid: use true or false.");
            return fallback;
        }

        public int Int(string key, int fallback, int min, int max)
        {
            var value = String(key, null);
            if (value is null)
            {
                return fallback;
            }

            if (int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
            {
                return parsed;
            }

            errors.Add($"{Section}:{key} = '{value}' is not valid: use a whole number from {min} to {max}.");
            return fallback;
        }

        // 0 asks the operating system for a free port (tests).
        public TimeSpan Seconds(string key, int fallback, int min, int max) => TimeSpan.FromSeconds(Int(key, fallback, min, max));

        public int Port(string key, int fallback) => Int(key, fallback, 0, 65535);

        public TEnum Enum<TEnum>(string key, TEnum fallback) where TEnum : struct, Enum
        {
            var value = String(key, null);
            if (value is null)
            {
                return fallback;
            }

            if (System.Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed))
            {
                return parsed;
            }

            errors.Add($"{Section}:{key} = '{value}' is not valid: use one of {string.Join(", ", System.Enum.GetNames<TEnum>())}.");
            return fallback;
        }
    }
}

/// <summary>Raised once, at start-up, with every configuration problem found.</summary>
internal sealed class InvalidSettingsException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
