"""The compiled kind: a RASP program compiled into transformer weights by Tracr; every variable's site is known."""
