"""The text conversation's screens, one module per part of the journey, mirroring the
Telegram dialogs in `handlers/`. Each screen is a pair of functions: `show_*` (what the
resident reads) and `on_*` (what their reply does); `registry.SCREENS` names them all."""
