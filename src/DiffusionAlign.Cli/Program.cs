namespace DiffusionAlign.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("dalign: commands arrive in the next commits");
        return 0;
    }
}
