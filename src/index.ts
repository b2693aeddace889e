import { startLean } from './engine.js';
import { run } from './main.js';

startLean();
void run();
