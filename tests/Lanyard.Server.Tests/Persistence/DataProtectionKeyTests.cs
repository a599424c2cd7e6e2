using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using Lanyard.Server.Common;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tests.Features.Mfa;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Persistence;

/// <summary>
/// The antiforgery tokens of the hosted pages are protected with data-protection keys kept in the database and
/// sealed under the master key (DESIGN §7: nodes are stateless), so a form one node renders is accepted by another.
/// </summary>
public sealed class DataProtectionKeyTests
{
    [Theory]
    [InlineData(Database.Sqlite)]
    [InlineData(Database.Postgres)]
    public async Task A_login_form_rendered_by_one_node_is_accepted_by_another_and_the_keys_are_sealed_in_the_database(Database database)
    {
        await using LanyardFactory first = database == Database.Sqlite ? new SqliteLanyard() : new PostgresLanyard();
        await first.InitializeAsync();
        first.RequireDatabase();
        await first.StartAsync();
        var tenantHost = LanyardFactory.TenantHost(first.Bootstrap.DemoTenantName);

        // The browser loads the form from the first node (which makes the key ring's first key) …
        var page = await first.ClientFor(tenantHost).GetAsync("/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        // (The second node starts only now: two nodes starting on an empty key table may each make a key, which is
        // allowed — ADR 0012 — but would blur the single-row check below.)
        await using var second = new SiblingLanyard(first);
        var cookie = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-lanyard_af=", StringComparison.Ordinal)).Split(';')[0];
        var token = OAuthFlow.HiddenValue(await page.Content.ReadAsStringAsync(), "__lanyard_af")!;

        // … and posts it to the second: a wrong password gets the login page's own answer, not a 400 for the token.
        var post = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.Identifier"] = first.Bootstrap.DemoUserEmail,
                ["Input.Password"] = "not the password",
                ["__lanyard_af"] = token,
            }),
        };
        post.Headers.Add("Cookie", cookie);
        var answer = await second.ClientFor(tenantHost).SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("The email, username or password is incorrect.", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The key is a row of the database, its secret sealed: no plaintext key material in the stored XML.
        await using var scope = first.Services.CreateAsyncScope();
        var keys = await scope.ServiceProvider.GetRequiredService<LanyardDbContext>().DataProtectionKeys.AsNoTracking().ToListAsync();
        var key = Assert.Single(keys);
        var xml = XElement.Parse(key.Xml!);
        Assert.Single(xml.Descendants(MasterKeyXmlEncryptor.SealedElement));
        Assert.Empty(xml.Descendants("masterKey"));
        Assert.Empty(xml.Descendants("value"));
    }

    [Fact]
    public void A_key_sealed_under_one_master_key_opens_only_under_that_master_key()
    {
        var secret = new XElement("masterKey", new XElement("value", Convert.ToBase64String(RandomNumberGenerator.GetBytes(64))));
        var sealedKey = new MasterKeyXmlEncryptor(new MasterKey(RandomNumberGenerator.GetBytes(32))).Encrypt(secret);
        Assert.Equal(typeof(MasterKeyXmlDecryptor), sealedKey.DecryptorType);
        Assert.DoesNotContain(secret.Element("value")!.Value, sealedKey.EncryptedElement.ToString(), StringComparison.Ordinal);

        var sameKey = new MasterKeyXmlEncryptor(new MasterKey(Enumerable.Repeat((byte)7, 32).ToArray()));
        var opened = Decryptor(Enumerable.Repeat((byte)7, 32).ToArray()).Decrypt(sameKey.Encrypt(secret).EncryptedElement);
        Assert.Equal(secret.ToString(), opened.ToString());

        Assert.ThrowsAny<CryptographicException>(() => Decryptor(RandomNumberGenerator.GetBytes(32)).Decrypt(sealedKey.EncryptedElement));
    }

    private static MasterKeyXmlDecryptor Decryptor(byte[] masterKey) =>
        new(new ServiceCollection().AddSingleton(new MasterKey(masterKey)).BuildServiceProvider());
}
