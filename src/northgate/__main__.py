from northgate.cli import main

main()
