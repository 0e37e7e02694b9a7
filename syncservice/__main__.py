from syncservice.cli import main

main()
