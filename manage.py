#!/usr/bin/env python
from minsheng.__main__ import main

if __name__ == "__main__":
    main()
