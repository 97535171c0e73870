namespace LoadBalancing.Consul.Tests;

/// <summary>Environment conventions of the consul CLI and the Go client.</summary>
public sealed class ConsulClientOptionsTests
{
    private static ConsulClientOptions From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return ConsulClientOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void FromEnvironment_Nothing_DefaultsToIpv4Loopback()
    {
        var options = From();

        Assert.Equal(new Uri("http://127.0.0.1:8500/"), options.Address);
        Assert.Null(options.Token);
        Assert.False(options.InsecureSkipVerify);
        Assert.Equal(TimeSpan.FromMinutes(5), options.DefaultWait);
    }

    [Theory]
    [InlineData("10.0.0.2:8500", null, "http://10.0.0.2:8500/")]
    [InlineData("10.0.0.2:8501", "true", "https://10.0.0.2:8501/")]
    [InlineData("http://10.0.0.2:8501", "1", "https://10.0.0.2:8501/")]      // SSL never reverts to http
    [InlineData("https://consul.example:8501", "false", "https://consul.example:8501/")]
    [InlineData("https://gw.example/Consul", null, "https://gw.example/Consul/")] // path prefix kept, case too
    [InlineData("[::1]:8500", "F", "http://[::1]:8500/")]
    public void FromEnvironment_AddressForms_ResolveSchemeAndPrefix(string address, string? ssl, string expected)
    {
        var options = ssl is null ? From(("CONSUL_HTTP_ADDR", address)) : From(("CONSUL_HTTP_ADDR", address), ("CONSUL_HTTP_SSL", ssl));

        Assert.Equal(expected, options.Address.ToString());
    }

    [Theory]
    [InlineData("ftp://host:1")]
    [InlineData("unix:///var/run/consul.sock")]
    public void FromEnvironment_UnsupportedScheme_Throws(string address)
        => Assert.Throws<FormatException>(() => From(("CONSUL_HTTP_ADDR", address)));

    [Fact]
    public void FromEnvironment_BadBool_Throws()
        => Assert.Throws<FormatException>(() => From(("CONSUL_HTTP_SSL", "yes")));

    [Fact]
    public void FromEnvironment_TokenAndTls_AreRead()
    {
        var options = From(
            ("CONSUL_HTTP_TOKEN", "abc"),
            ("CONSUL_CACERT", "/etc/consul/ca.pem"),
            ("CONSUL_CLIENT_CERT", "/etc/consul/cli.pem"),
            ("CONSUL_CLIENT_KEY", "/etc/consul/cli-key.pem"),
            ("CONSUL_TLS_SERVER_NAME", "server.dc1.consul"),
            ("CONSUL_HTTP_SSL_VERIFY", "false"));

        Assert.Equal("abc", options.Token);
        Assert.Equal(("/etc/consul/ca.pem", "/etc/consul/cli.pem", "/etc/consul/cli-key.pem"), (options.CaCertificateFile, options.ClientCertificateFile, options.ClientKeyFile));
        Assert.Equal("server.dc1.consul", options.TlsServerName);

        // CONSUL_HTTP_SSL_VERIFY=false disables verification (Consul.NET had this inverted).
        Assert.True(options.InsecureSkipVerify);
    }

    [Fact]
    public void FromEnvironment_TokenFile_WinsOverTokenAndIsTrimmed()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "  from-file\n");
            Assert.Equal("from-file", From(("CONSUL_HTTP_TOKEN", "from-env"), ("CONSUL_HTTP_TOKEN_FILE", file)).Token);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void FromEnvironment_CertWithoutKey_Throws()
        => Assert.Throws<FormatException>(() => From(("CONSUL_CLIENT_CERT", "/c.pem")));

    [Fact]
    public void ToString_WithToken_RedactsIt()
    {
        var text = new ConsulClientOptions { Token = "super-secret" }.ToString();

        Assert.DoesNotContain("super-secret", text, StringComparison.Ordinal);
        Assert.Contains("(redacted)", text, StringComparison.Ordinal);
    }
}
