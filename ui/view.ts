/** One page of the dashboard: its element and how to bring it up to date (called on every live update). */
export interface View {
  readonly title: string;
  readonly el: HTMLElement;
  refresh(): Promise<void>;
}
