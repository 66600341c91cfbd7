from woo_collector.cli import main

main()
