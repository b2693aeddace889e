export type FragmentShape = 'workflow' | 'job' | 'steps' | 'step' | 'inputs';
export interface Problem {
  line: number;
  column: number;
  message: string;
  kind: string;
}
export declare function yamlBlocks(markdown: string): Array<{ line: number; text: string }>;
export declare function fragmentShape(text: string): FragmentShape;
export declare function wrapFragment(text: string): {
  shape: FragmentShape;
  workflow: string;
  toFragment(line: number, column: number): { line: number; column: number } | null;
};
export declare function actionInputs(actionYml?: string): Set<string>;
export declare function unknownInputs(workflow: string, inputs?: Set<string>): Problem[];
export declare function lintWorkflow(text: string, file?: string): Promise<Problem[]>;
export declare function lintMarkdown(markdown: string): Promise<Problem[]>;
export declare function lintFiles(files: string[]): Promise<Array<Problem & { file: string }>>;
export declare function defaultFiles(root?: string): string[];
export declare function outdatedRefs(markdown: string, workflows: string[]): Problem[];
