using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

// Measures what the hardware allows for the two costs that bound Lanyard's protocol figures: one RS256
// signature per issued JWT and one PBKDF2 hash per password login. Each measurement is a timed loop after
// a warm-up, first on one thread, then on one thread per core at once.
//
// Usage: ceilings SECONDS WARMUP_SECONDS PBKDF2_ITERATIONS [pbkdf2-all-cores]
// (pbkdf2-all-cores: only the PBKDF2 hashes on one thread per core, the ceiling bench/run.sh measures right
// after each system's login flows)
// Prints one line per measurement on standard output, for bench/ceilings.sh to format:
//   CEILING <name> threads=<n> ops=<completed operations> seconds=<elapsed> per_second=<rate>
// and one line with the runtime and OpenSSL versions:
//   CEILING_ENV runtime=<version> openssl=<version>
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var warmup = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1;
var iterations = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 600_000;
var cores = Environment.ProcessorCount;
var pbkdf2AllCoresOnly = args.Length > 3 && args[3] == "pbkdf2-all-cores";
if (args.Length > 3 && !pbkdf2AllCoresOnly)
{
    Console.Error.WriteLine($"ceilings: unknown workload '{args[3]}' (known: pbkdf2-all-cores)");
    return 2;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"CEILING_ENV runtime={Environment.Version} openssl={Workloads.OpenSslVersion()} cores={cores}"));

if (!pbkdf2AllCoresOnly)
{
    // One key; each thread signs with its own RSA instance of it, so the threads share no state.
    using var key = RSA.Create(2048);
    var keyParameters = key.ExportParameters(includePrivateParameters: true);

    foreach (var threads in new[] { 1, cores })
    {
        Workloads.Report("rs256", threads, Workloads.Measure(threads, seconds, warmup, () =>
        {
            var rsa = RSA.Create();
            rsa.ImportParameters(keyParameters);
            // A JWT signing input is about 600 bytes: base64url header and payload of an access token.
            var input = Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(450)));
            return () => rsa.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }));
    }
}

foreach (var threads in pbkdf2AllCoresOnly ? new[] { cores } : [1, cores])
{
    // Salt and output sizes as Features/Users/PasswordHasher.cs: 16-byte salt, 32-byte hash.
    Workloads.Report("pbkdf2", threads, Workloads.Measure(threads, seconds, warmup, () =>
    {
        var password = Encoding.UTF8.GetBytes("correct horse battery staple");
        var salt = RandomNumberGenerator.GetBytes(16);
        return () => Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
    }));
}

return 0;

internal static class Workloads
{
    /// <summary>
    /// Runs the operation on <paramref name="threads"/> dedicated threads, each for <paramref name="warmup"/>
    /// seconds unmeasured and then for <paramref name="seconds"/>, finishing the operation in progress at the
    /// deadline. The rate is the sum of each thread's completed operations divided by its own elapsed time,
    /// so a slow operation (a PBKDF2 hash takes a fifth of a second) is not cut off or rounded away.
    /// </summary>
    public static (long Ops, double Seconds, double PerSecond) Measure(int threads, double seconds, double warmup, Func<Func<byte[]>> setup)
    {
        var ops = new long[threads];
        var elapsed = new double[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(index => new Thread(() =>
        {
            var operation = setup();
            Loop(operation, warmup);
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            ops[index] = Loop(operation, seconds);
            elapsed[index] = clock.Elapsed.TotalSeconds;
        })
        { IsBackground = true }).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        var rate = Enumerable.Range(0, threads).Sum(i => ops[i] / elapsed[i]);
        return (ops.Sum(), elapsed.Max(), rate);
    }

    private static long Loop(Func<byte[]> operation, double seconds)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        long count = 0;
        do
        {
            _ = operation();
            count++;
        }
        while (Stopwatch.GetTimestamp() < deadline);
        return count;
    }

    public static void Report(string name, int threads, (long Ops, double Seconds, double PerSecond) result) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CEILING {name} threads={threads} ops={result.Ops} seconds={result.Seconds:F2} per_second={result.PerSecond:F3}"));

    /// <summary>The OpenSSL library .NET loaded, from its version number (0xMNN00PP0 for 3.x).</summary>
    public static string OpenSslVersion()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "none";
        }

        var v = SafeEvpPKeyHandle.OpenSslVersion;
        return v >= 0x30000000
            ? string.Create(CultureInfo.InvariantCulture, $"{v >> 28}.{(v >> 20) & 0xff}.{(v >> 4) & 0xff}")
            : string.Create(CultureInfo.InvariantCulture, $"{v >> 28}.{(v >> 20) & 0xff}.{(v >> 12) & 0xff}");
    }
}
