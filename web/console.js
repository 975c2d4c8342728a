// Parley agent console: the entry module. The console lives in console/
// (docs/subsystems/console.md): app.js wires the views and starts it.
// This file stays this small so that a cached copy of it is never out of
// step with the modules it loads.

import { boot } from './console/app.js';

boot();
